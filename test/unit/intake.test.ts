import { describe, expect, it } from 'vitest';
import {
  PolicyDeniedError,
  UnsupportedEntryError,
  ValidationError,
} from '../../core/errors.ts';
import {
  checkEksRules,
  checkEntry,
  type IntakeInput,
  planIntake,
} from '../../core/intake.ts';
import type { SubmitRequestBody } from '../../core/request-schema.ts';
import { CLUSTER, fakePolicy, PRINCIPAL } from './support/requests.ts';

const NOW = new Date('2025-01-02T00:00:00.000Z');
const ENTRY = {
  type: 'STANDARD',
  kubernetesGroups: ['viewers'],
  username: 'dev',
  modifiedAt: '2025-01-01T00:00:00.000Z',
};
const BODY: SubmitRequestBody = {
  clusterName: CLUSTER,
  principalArn: PRINCIPAL,
  kubernetesGroups: ['viewers', 'deployers'],
  reason: 'OPS-1234 release week',
};

function plan(overrides: Partial<IntakeInput> = {}) {
  return planIntake({
    requestId: 'r1',
    body: BODY,
    requestedBy: 'alice@example.com',
    entry: ENTRY,
    policy: fakePolicy(),
    now: NOW,
    ...overrides,
  });
}

function thrown(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('Function: planIntake', () => {
  it('plans a pending request with the before-state and the approvals policy asks for', () => {
    const policy = fakePolicy({ intake: { approvalsRequired: 2 } });

    const { request, events } = plan({ policy });

    expect(request).toMatchObject({
      requestId: 'r1',
      status: 'PENDING_APPROVAL',
      approvalsRequired: 2,
      approvals: [],
      after: { kubernetesGroups: ['viewers', 'deployers'], username: 'dev' },
      lockId: `lock#${CLUSTER}#${PRINCIPAL}`,
      createdAt: NOW.toISOString(),
      executionAttempts: 0,
    });
    expect(request.before).toEqual({
      kubernetesGroups: ['viewers'],
      username: 'dev',
      modifiedAt: ENTRY.modifiedAt,
    });
    expect(events.map((e) => e.type)).toEqual([
      'REQUESTED',
      'POLICY_EVALUATED',
    ]);
    expect(events[1]?.details).toMatchObject({ approvalsRequired: 2 });
  });

  it('hands policy the diff and the facts of the change', () => {
    const policy = fakePolicy();

    plan({ policy, body: { ...BODY, durationMinutes: 60 } });

    expect(policy.evaluateIntake).toHaveBeenCalledWith({
      groupsAdded: ['deployers'],
      groupsRemoved: [],
      usernameBefore: 'dev',
      usernameAfter: 'dev',
      requestedBy: 'alice@example.com',
      clusterName: CLUSTER,
      principalArn: PRINCIPAL,
      entryType: 'STANDARD',
      reason: BODY.reason,
      durationMinutes: 60,
    });
  });

  it('approves automatically with an APPROVED event by system', () => {
    const policy = fakePolicy({
      intake: { autoApproved: true, approvalsRequired: 0, policyIds: ['auto'] },
    });

    const { request, events } = plan({
      policy,
      body: { ...BODY, kubernetesGroups: [] },
    });

    expect(request.status).toBe('APPROVED');
    expect(events.at(-1)).toEqual({
      type: 'APPROVED',
      actor: 'system',
      details: { automatic: true, policyIds: ['auto'] },
    });
  });

  it('keeps the current groups when only the username is asked for', () => {
    const body = { ...BODY, username: 'dev:{{SessionName}}' };
    delete body.kubernetesGroups;

    const { request, diff } = plan({ body });

    expect(request.after).toEqual({
      kubernetesGroups: ['viewers'],
      username: 'dev:{{SessionName}}',
    });
    expect(diff.groupsAdded).toEqual([]);
  });

  it('refuses a change that changes nothing, before asking policy', () => {
    const policy = fakePolicy();

    const error = thrown(() =>
      plan({ policy, body: { ...BODY, kubernetesGroups: ['viewers'] } }),
    );

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details.issues).toEqual([
      { path: 'kubernetesGroups', message: 'the change changes nothing' },
    ]);
    expect(policy.evaluateIntake).not.toHaveBeenCalled();
  });

  it('throws PolicyDenied with the reasons when policy denies', () => {
    const policy = fakePolicy({
      intake: { allowed: false, reasons: ['at most 7 days'] },
    });

    const error = thrown(() => plan({ policy }));

    expect(error).toBeInstanceOf(PolicyDeniedError);
    expect((error as PolicyDeniedError).details).toEqual({
      reasons: ['at most 7 days'],
    });
  });
});

describe('Function: checkEksRules', () => {
  it('collects every rule broken as an issue with its field', () => {
    const error = thrown(() =>
      checkEksRules({
        ...BODY,
        kubernetesGroups: ['system:masters'],
        username: 'eks:admin',
      }),
    );

    const issues = (error as ValidationError).details.issues as {
      path: string;
    }[];
    expect(issues.map((i) => i.path).sort()).toEqual([
      'kubernetesGroups',
      'username',
    ]);
  });

  it('accepts a valid body', () => {
    expect(checkEksRules(BODY)).toBeUndefined();
  });
});

describe('Function: checkEntry', () => {
  it('refuses a cluster in CONFIG_MAP mode as UnsupportedEntry', () => {
    const error = thrown(() => checkEntry('CONFIG_MAP', ENTRY));

    expect(error).toBeInstanceOf(UnsupportedEntryError);
    expect((error as UnsupportedEntryError).details).toEqual({
      authenticationMode: 'CONFIG_MAP',
    });
  });

  it('refuses groups on an EC2_LINUX entry as UnsupportedEntry', () => {
    const error = thrown(() =>
      checkEntry('API', { ...ENTRY, type: 'EC2_LINUX' }),
    );

    expect((error as UnsupportedEntryError).details).toEqual({
      type: 'EC2_LINUX',
    });
  });

  it('accepts a STANDARD entry on an API cluster', () => {
    expect(checkEntry('API_AND_CONFIG_MAP', ENTRY)).toBeUndefined();
  });
});
