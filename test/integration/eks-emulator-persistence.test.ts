import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DescribeAccessEntryCommand,
  type EKSClient,
  ListAssociatedAccessPoliciesCommand,
  UpdateAccessEntryCommand,
} from '@aws-sdk/client-eks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createEksEmulator,
  type EksEmulator,
} from '../../local/eks-emulator/index.ts';
import { StateFileWriter } from '../../local/eks-emulator/state-file.ts';
import {
  ACCOUNT,
  at,
  DEVELOPERS,
  eksClient,
  POLICY,
  T0,
  testSeed,
} from './eks-emulator-harness.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let folder: string;
let stateFile: string;
let clock = T0;
const running: EksEmulator[] = [];
const children: ChildProcess[] = [];

beforeEach(async () => {
  clock = T0;
  folder = await mkdtemp(join(tmpdir(), 'eks-emulator-state-'));
  stateFile = join(folder, 'eks-emulator.json');
});

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null) child.kill('SIGKILL');
  for (const emulator of running.splice(0)) await emulator.close();
  await rm(folder, { recursive: true, force: true });
});

/** Starts an emulator on the test's state file and clock. */
async function start(): Promise<{
  emulator: EksEmulator;
  eks: EKSClient;
  url: string;
}> {
  const emulator = createEksEmulator({
    seed: await testSeed(),
    now: () => clock,
    stateFile,
  });
  running.push(emulator);
  const url = await emulator.listen(0);
  return { emulator, eks: eksClient(url, 1), url };
}

/** Stops an emulator and starts another a minute later. */
async function restart(emulator: EksEmulator) {
  await emulator.close();
  clock += 60_000;
  return start();
}

const describeEntry = async (eks: EKSClient, principalArn: string) =>
  (
    await eks.send(
      new DescribeAccessEntryCommand({ clusterName: 'demo', principalArn }),
    )
  ).accessEntry;

describe('createEksEmulator with a stateFile', () => {
  it('keeps an update, its times and the entry ARN across a restart', async () => {
    const first = await start();
    const before = await describeEntry(first.eks, DEVELOPERS);
    clock = T0 + 5_000;
    await first.eks.send(
      new UpdateAccessEntryCommand({
        clusterName: 'demo',
        principalArn: DEVELOPERS,
        kubernetesGroups: ['viewers', 'deployers'],
        username: 'developers:{{SessionName}}',
      }),
    );

    const second = await restart(first.emulator);
    const after = await describeEntry(second.eks, DEVELOPERS);

    expect(after).toEqual({
      ...before,
      kubernetesGroups: ['viewers', 'deployers'],
      username: 'developers:{{SessionName}}',
      modifiedAt: at(T0 + 5_000),
    });
    expect(after?.createdAt).toEqual(at(T0));
  });

  it('keeps a created entry and its policy associations across a restart', async () => {
    const tester = `arn:aws:iam::${ACCOUNT}:role/team/testers`;
    const first = await start();
    const { accessEntry: created } = await first.eks.send(
      new CreateAccessEntryCommand({
        clusterName: 'demo',
        principalArn: tester,
        kubernetesGroups: ['qa'],
        tags: { team: 'qa' },
      }),
    );
    await first.eks.send(
      new AssociateAccessPolicyCommand({
        clusterName: 'demo',
        principalArn: tester,
        policyArn: POLICY('AmazonEKSViewPolicy'),
        accessScope: { type: 'namespace', namespaces: ['qa'] },
      }),
    );

    const second = await restart(first.emulator);
    const { associatedAccessPolicies } = await second.eks.send(
      new ListAssociatedAccessPoliciesCommand({
        clusterName: 'demo',
        principalArn: tester,
      }),
    );

    expect(await describeEntry(second.eks, tester)).toEqual(created);
    expect(associatedAccessPolicies).toEqual([
      {
        policyArn: POLICY('AmazonEKSViewPolicy'),
        accessScope: { type: 'namespace', namespaces: ['qa'] },
        associatedAt: at(T0),
        modifiedAt: at(T0),
      },
    ]);
  });

  it('writes the seeded state at start, so an untouched entry keeps its ARN', async () => {
    const first = await start();
    const before = await describeEntry(first.eks, DEVELOPERS);

    const second = await restart(first.emulator);

    expect(await describeEntry(second.eks, DEVELOPERS)).toEqual(before);
  });

  it('replays a clientRequestToken seen before the restart without acting', async () => {
    const input = {
      clusterName: 'demo',
      principalArn: DEVELOPERS,
      kubernetesGroups: ['deployers'],
      clientRequestToken: 'token-before-restart',
    };
    const first = await start();
    const { accessEntry: answered } = await first.eks.send(
      new UpdateAccessEntryCommand(input),
    );

    const second = await restart(first.emulator);
    const { accessEntry: replayed } = await second.eks.send(
      new UpdateAccessEntryCommand(input),
    );

    expect(replayed?.modifiedAt).toEqual(at(T0));
    expect(replayed).toEqual(answered);
  });

  it('holds the final state after concurrent changes, and no temporary files', async () => {
    const first = await start();
    const principals = Array.from(
      { length: 30 },
      (_, index) => `arn:aws:iam::${ACCOUNT}:user/user-${index}`,
    );
    await Promise.all(
      principals.map((principalArn) =>
        first.eks.send(
          new CreateAccessEntryCommand({ clusterName: 'demo', principalArn }),
        ),
      ),
    );
    const expected = first.emulator.snapshot();

    const second = await restart(first.emulator);

    expect(second.emulator.snapshot()).toEqual(expected);
    expect(await readdir(folder)).toEqual(['eks-emulator.json']);
  });

  it('writes the seed state back on reset', async () => {
    const first = await start();
    await first.eks.send(
      new UpdateAccessEntryCommand({
        clusterName: 'demo',
        principalArn: DEVELOPERS,
        kubernetesGroups: ['cluster-admins'],
      }),
    );
    const reset = await fetch(`${first.url}/_emulator/reset`, {
      method: 'POST',
    });
    const seeded = first.emulator.snapshot();

    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as {
      clusters: { name: string; entries: { kubernetesGroups: string[] }[] }[];
    };
    const second = await restart(first.emulator);

    expect(reset.status).toBe(200);
    expect(saved.clusters[0]?.entries[0]?.kubernetesGroups).toEqual([
      'viewers',
    ]);
    expect(second.emulator.snapshot()).toEqual(seeded);
  });

  it('refuses a file that is not JSON, naming the file', async () => {
    await writeFile(stateFile, '{"version": 1, "clusters": [');

    const create = async () =>
      createEksEmulator({ seed: await testSeed(), stateFile });

    await expect(create()).rejects.toThrow(
      `eks-emulator state file ${stateFile} is corrupt: not valid JSON`,
    );
  });

  it('refuses a file whose entry has an unknown type, naming the field', async () => {
    const first = await start();
    await first.emulator.close();
    const saved = JSON.parse(await readFile(stateFile, 'utf8'));
    saved.clusters[0].entries[1].type = 'FARGATE_WINDOWS';
    await writeFile(stateFile, JSON.stringify(saved));

    const create = async () =>
      createEksEmulator({ seed: await testSeed(), stateFile });

    await expect(create()).rejects.toThrow(
      `eks-emulator state file ${stateFile} is corrupt: ` +
        'clusters.0.entries.1.type: ',
    );
  });

  it('refuses a file listing one principal twice on a cluster', async () => {
    const first = await start();
    await first.emulator.close();
    const saved = JSON.parse(await readFile(stateFile, 'utf8'));
    saved.clusters[0].entries.push(saved.clusters[0].entries[0]);
    await writeFile(stateFile, JSON.stringify(saved));

    const create = async () =>
      createEksEmulator({ seed: await testSeed(), stateFile });

    await expect(create()).rejects.toThrow(
      `clusters.0.entries.4.principalArn: entry ${DEVELOPERS} appears twice`,
    );
  });
});

describe('StateFileWriter', () => {
  it('starts each write after the last one ended, and ends on the last change', async () => {
    let version = 0;
    const written: string[] = [];
    const foundAtStart: string[] = [];
    const writer = new StateFileWriter(stateFile, () => {
      foundAtStart.push(
        existsSync(stateFile) ? readFileSync(stateFile, 'utf8') : '',
      );
      written.push(String(version));
      return String(version);
    });

    const saves: Promise<void>[] = [];
    for (version = 1; version <= 40; version += 1) {
      saves.push(writer.save());
      if (version % 3 === 0) await new Promise((done) => setImmediate(done));
    }
    version -= 1;
    await Promise.all(saves);

    expect(foundAtStart).toEqual(['', ...written.slice(0, -1)]);
    expect(await readFile(stateFile, 'utf8')).toBe('40');
    expect(written.length).toBeLessThan(40);
  });
});

describe('main.ts --state-file', () => {
  async function runMain(args: string[]) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'local/eks-emulator/main.ts', ...args],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const exited = once(child, 'exit').then(([code]) => code as number);
    const url = await new Promise<string>((resolve) => {
      child.stdout.on('data', () => {
        const match = /listening on (http:\/\/\S+)/.exec(stdout);
        if (match) resolve(match[1]);
      });
      child.once('exit', () => resolve('http://127.0.0.1:9/not-listening'));
    });
    return { child, exited, url, stderr: () => stderr };
  }

  it('keeps a change across a restart of the process', async () => {
    const args = ['--port', '0', '--state-file', stateFile];
    const first = await runMain(args);
    await eksClient(first.url, 1).send(
      new UpdateAccessEntryCommand({
        clusterName: 'demo',
        principalArn: DEVELOPERS,
        kubernetesGroups: ['testers'],
      }),
    );
    first.child.kill('SIGTERM');
    await first.exited;

    const second = await runMain(args);
    const entry = await describeEntry(eksClient(second.url, 1), DEVELOPERS);
    second.child.kill('SIGTERM');

    expect(entry?.kubernetesGroups).toEqual(['testers']);
    expect(await second.exited).toBe(0);
  });

  it('exits 1 naming a corrupt state file', async () => {
    await writeFile(stateFile, 'not json');

    const cli = await runMain(['--port', '0', '--state-file', stateFile]);

    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain(
      `eks-emulator state file ${stateFile} is corrupt`,
    );
  });
});
