import { vi } from 'vitest';
import { chainEvents, GENESIS_HASH } from '../../../core/audit-chain.ts';
import type {
  IntakeDecision,
  PolicyDecision,
  PolicyEngine,
} from '../../../core/policy.ts';
import type { StoredRequest } from '../../../core/request.ts';

export const REQUEST_ID = '01JABCDEFGHJKMNPQRSTVWXYZ0';
export const CLUSTER = 'demo';
export const PRINCIPAL = 'arn:aws:iam::111122223333:role/developers';
export const REQUESTER = 'alice@example.com';
export const BEFORE_MODIFIED_AT = '2025-01-01T00:00:00.000Z';

/** The first two audit events of a request, so its head is real. */
export function intakeChain(requestId = REQUEST_ID) {
  return chainEvents({ seq: 0, hash: GENESIS_HASH }, [
    {
      requestId,
      type: 'REQUESTED',
      actor: REQUESTER,
      at: '2025-01-02T00:00:00.000Z',
      details: { clusterName: CLUSTER },
    },
    {
      requestId,
      type: 'POLICY_EVALUATED',
      actor: 'system',
      at: '2025-01-02T00:00:00.000Z',
      details: { allowed: true },
    },
  ]);
}

/** A stored request waiting for one approval, adding `deployers`. */
export function storedRequest(
  overrides: Partial<StoredRequest> = {},
): StoredRequest {
  const head = intakeChain(overrides.requestId ?? REQUEST_ID).at(-1);
  return {
    requestId: REQUEST_ID,
    status: 'PENDING_APPROVAL',
    clusterName: CLUSTER,
    principalArn: PRINCIPAL,
    requestedBy: REQUESTER,
    reason: 'OPS-1234 deploy rights for the release week',
    before: {
      kubernetesGroups: ['viewers'],
      username: 'developers:{{SessionName}}',
      modifiedAt: BEFORE_MODIFIED_AT,
    },
    after: {
      kubernetesGroups: ['viewers', 'deployers'],
      username: 'developers:{{SessionName}}',
    },
    approvalsRequired: 1,
    approvals: [],
    createdAt: '2025-01-02T00:00:00.000Z',
    updatedAt: '2025-01-02T00:00:00.000Z',
    auditSeq: head?.seq ?? 0,
    auditHash: head?.hash ?? GENESIS_HASH,
    lockId: `lock#${CLUSTER}#${PRINCIPAL}`,
    executionAttempts: 0,
    ...overrides,
  };
}

/** The item the requests table holds for a stored request. */
export function requestItem(request: StoredRequest) {
  return { id: request.requestId, kind: 'REQUEST', ...request };
}

export const ALLOW: PolicyDecision = {
  allowed: true,
  reasons: [],
  policyIds: ['allow-policy'],
};

/** A policy engine whose answers the test decides. */
export function fakePolicy(
  answers: {
    intake?: Partial<IntakeDecision>;
    decision?: PolicyDecision;
    read?: PolicyDecision;
  } = {},
) {
  const engine = {
    evaluateIntake: vi.fn(
      (): IntakeDecision => ({
        ...ALLOW,
        approvalsRequired: 1,
        autoApproved: false,
        ...answers.intake,
      }),
    ),
    evaluateDecision: vi.fn((): PolicyDecision => answers.decision ?? ALLOW),
    evaluateRead: vi.fn((): PolicyDecision => answers.read ?? ALLOW),
  } satisfies PolicyEngine;
  return engine;
}
