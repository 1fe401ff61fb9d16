import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPolicyEngine } from '../../adapters/policy-loader.ts';
import { type HistoryRange, policyCommand } from '../../cli/policy.ts';
import {
  type HistoricalRequest,
  simulate,
} from '../../core/policy/simulate.ts';
import type { ChangeFacts, PolicyEngine } from '../../core/policy.ts';
import { writePolicyEntities } from '../../local/policy-entities.ts';
import { loadSeed } from '../../local/seed.ts';

const policyDir = fileURLToPath(new URL('../../policies/', import.meta.url));

/** Runs the command and collects what it prints. */
async function run(
  argv: string[],
  loadHistory?: (range: HistoryRange) => Promise<HistoricalRequest[]>,
) {
  const lines: string[] = [];
  const code = await policyCommand(argv, {
    out: (line) => lines.push(line),
    err: (line) => lines.push(line),
    ...(loadHistory ? { loadHistory } : {}),
  });
  return { code, output: lines.join('\n') };
}

const facts = (overrides: Partial<ChangeFacts>): ChangeFacts => ({
  requestedBy: 'alice@example.com',
  clusterName: 'demo',
  principalArn: 'arn:aws:iam::111122223333:role/developers',
  entryType: 'STANDARD',
  reason: 'OPS-1',
  groupsAdded: [],
  groupsRemoved: [],
  usernameBefore: '',
  usernameAfter: '',
  ...overrides,
});

/** What the default policies decided for these, as the table stores it. */
const history: HistoricalRequest[] = [
  {
    requestId: '01JADMINS',
    facts: facts({ groupsAdded: ['cluster-admins'] }),
    decision: { allowed: true, approvalsRequired: 2, autoApproved: false },
  },
  {
    requestId: '01JDEPLOY',
    facts: facts({ groupsAdded: ['deployers'], durationMinutes: 2880 }),
    decision: { allowed: true, approvalsRequired: 1, autoApproved: false },
  },
  {
    requestId: '01JREMOVE',
    facts: facts({ groupsRemoved: ['viewers'] }),
    decision: { allowed: true, approvalsRequired: 0, autoApproved: true },
  },
];

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'policy-cli-'));
  await cp(policyDir, join(work, 'policies'), { recursive: true });
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Rewrites one policy file of the temporary copy. */
async function edit(file: string, change: (text: string) => string) {
  const path = join(work, 'policies', file);
  await writeFile(path, change(await readFile(path, 'utf8')));
}

describe('Command: policy validate', () => {
  it('passes on the default policies', async () => {
    const { code, output } = await run(['validate', '--policies', policyDir]);

    expect(code).toBe(0);
    expect(output).toContain('All policies are valid');
  });

  it('fails naming the file and line of a broken policy', async () => {
    await edit('approve.cedar', (text) =>
      text.replace(
        'principal == context.requester',
        'principal == context.requestr',
      ),
    );

    const { code, output } = await run([
      'validate',
      '--policies',
      join(work, 'policies'),
    ]);

    expect(code).toBe(1);
    expect(output).toMatch(/FAIL {2}.*approve\.cedar/);
    expect(output).toMatch(/approve\.cedar:\d+:\d+ \[no-self-approval\]/);
    expect(output).toMatch(/OK {4}.*request\.cedar/);
  });

  it('fails on a policy that does not parse', async () => {
    await writeFile(join(work, 'policies', 'extra.cedar'), '@id("x") permit(');

    const { code, output } = await run([
      'validate',
      '--policies',
      join(work, 'policies'),
    ]);

    expect(code).toBe(1);
    expect(output).toMatch(/extra\.cedar:1:\d+: unexpected end of input/);
  });
});

describe('Command: policy test', () => {
  it('passes every default case', async () => {
    const { code, output } = await run(['test', '--policies', policyDir]);

    expect(code).toBe(0);
    expect(output).toMatch(/\b[1-9]\d* passed, 0 failed/);
  });

  it('fails a case whose expectation is wrong, saying what differs', async () => {
    const cases = join(work, 'cases');
    await cp(join(policyDir, 'tests'), cases, { recursive: true });
    await writeFile(
      join(cases, 'wrong.json'),
      JSON.stringify({
        cases: [
          {
            name: 'a requester approves their own request',
            action: 'Approve',
            identity: 'bob@example.com',
            facts: { requestedBy: 'bob@example.com' },
            expect: { decision: 'allow' },
          },
        ],
      }),
    );

    const { code, output } = await run([
      'test',
      '--policies',
      policyDir,
      '--cases',
      cases,
    ]);

    expect(code).toBe(1);
    expect(output).toContain('FAIL  a requester approves their own request');
    expect(output).toContain('decision: expected "allow", got "deny"');
    expect(output).toMatch(/ 1 failed$/);
  });

  it('fails when the policies change under the cases', async () => {
    await edit('approvals.cedar', (text) =>
      text.replace('@approvals("2")', '@approvals("3")'),
    );

    const { code, output } = await run([
      'test',
      '--policies',
      join(work, 'policies'),
      '--cases',
      join(policyDir, 'tests'),
    ]);

    expect(code).toBe(1);
    expect(output).toContain('approvalsRequired: expected 2, got 3');
  });
});

describe('Command: policy simulate', () => {
  it('lists the request that needs 3 approvals under the candidate', async () => {
    await edit('approvals.cedar', (text) =>
      text.replace('@approvals("2")', '@approvals("3")'),
    );

    const { code, output } = await run(
      ['simulate', '--policies', join(work, 'policies')],
      async () => history,
    );

    expect(code).toBe(0);
    expect(output.split('\n')).toEqual([
      'REQUEST    BEFORE       AFTER        WHY',
      '01JADMINS  APPROVALS:2  APPROVALS:3  requesters-may-request, privileged-groups-need-two',
      '1 of 3 request(s) would change.',
    ]);
  });

  it('lists a request a new forbid would deny', async () => {
    await writeFile(
      join(work, 'policies', 'one-day.cedar'),
      [
        '@id("duration-at-most-1-day")',
        '@reason("durationMinutes may be at most 1440")',
        'forbid (principal, action == Action::"RequestChange", resource)',
        'when { context.durationMinutes > 1440 };',
      ].join('\n'),
    );

    const { output } = await run(
      ['simulate', '--policies', join(work, 'policies')],
      async () => history,
    );

    expect(output).toMatch(
      /01JDEPLOY +APPROVALS:1 +DENIED +duration-at-most-1-day/,
    );
    expect(output).not.toContain('01JADMINS');
  });

  it('reports no change when replaying the policies that decided', async () => {
    const { output } = await run(
      ['simulate', '--policies', policyDir],
      async () => history,
    );

    expect(output).toBe('No outcome changes across 3 request(s).');
  });

  it('passes the time window to the history reader', async () => {
    const ranges: HistoryRange[] = [];

    await run(
      ['simulate', '--policies', policyDir, '--from', '2025-01-01T00:00:00Z'],
      async (range) => {
        ranges.push(range);
        return [];
      },
    );

    expect(ranges).toEqual([{ from: '2025-01-01T00:00:00Z' }]);
  });

  it('refuses to run without --policies', async () => {
    const { code } = await run(['simulate'], async () => history);

    expect(code).toBe(2);
  });
});

describe('Function: simulate', () => {
  it('counts a request the candidate cannot evaluate as changed', () => {
    const broken: PolicyEngine = {
      evaluateIntake: () => {
        throw new Error('entity missing');
      },
      evaluateDecision: () => ({ allowed: false, reasons: [], policyIds: [] }),
      evaluateRead: () => ({ allowed: false, reasons: [], policyIds: [] }),
    };

    const changed = simulate(history.slice(0, 1), broken);

    expect(changed).toEqual([
      {
        requestId: '01JADMINS',
        before: 'APPROVALS:2',
        after: 'ERROR',
        reasons: ['entity missing'],
        policyIds: [],
      },
    ]);
  });
});

describe('Function: loadPolicyEngine', () => {
  it('loads once per folder and entities file', async () => {
    const entities = join(work, 'entities.json');
    await writePolicyEntities(await loadSeed(), entities);
    const dir = join(work, 'policies');

    const first = loadPolicyEngine(dir, entities);
    const second = loadPolicyEngine(dir, entities);

    expect(second).toBe(first);
    const engine = await first;
    expect(
      engine.evaluateIntake(history[0]?.facts as ChangeFacts),
    ).toMatchObject({ approvalsRequired: 2 });
  });

  it('rejects naming the entities file when it is missing', async () => {
    const missing = join(work, 'missing.json');

    await expect(loadPolicyEngine(policyDir, missing)).rejects.toThrow(
      `${missing}: cannot read the policy entities`,
    );
  });

  it('rejects naming the policy file that does not parse', async () => {
    const entities = join(work, 'entities.json');
    await writePolicyEntities(await loadSeed(), entities);
    await writeFile(join(work, 'policies', 'bad.cedar'), 'permit (');

    await expect(
      loadPolicyEngine(join(work, 'policies'), entities),
    ).rejects.toThrow(/bad\.cedar:1:\d+: unexpected end of input/);
  });
});
