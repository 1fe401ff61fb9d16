import type { EventDraft } from './audit-chain.ts';
import { diffEntry, type EntryDiff, isEmptyDiff } from './diff.ts';
import {
  checkAuthenticationMode,
  checkEntryTypeAllowsGroups,
  checkKubernetesGroups,
  checkPrincipalArn,
  checkUsername,
} from './eks-rules.ts';
import {
  PolicyDeniedError,
  UnsupportedEntryError,
  ValidationError,
  type ValidationIssue,
} from './errors.ts';
import type { ChangeFacts, IntakeDecision, PolicyEngine } from './policy.ts';
import {
  type EntrySnapshot,
  lockIdFor,
  type StoredRequest,
} from './request.ts';
import type { SubmitRequestBody } from './request-schema.ts';

/**
 * The checks EKS itself would make on UpdateAccessEntry that can be made
 * from the body alone, answered before anything is read or written.
 */
export function checkEksRules(body: SubmitRequestBody): void {
  const issues: ValidationIssue[] = [];
  const violations = [
    checkPrincipalArn(body.principalArn),
    body.kubernetesGroups && checkKubernetesGroups(body.kubernetesGroups),
    body.username !== undefined && checkUsername(body.username),
  ];
  for (const violation of violations) {
    if (violation) {
      issues.push({ path: violation.field, message: violation.message });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** The entry as EKS holds it, as far as intake needs it. */
export interface CurrentEntry {
  type: string;
  kubernetesGroups: string[];
  username: string;
  modifiedAt: string;
}

/** The checks that need the cluster and the entry as they are now. */
export function checkEntry(authMode: string, entry: CurrentEntry): void {
  const modeViolation = checkAuthenticationMode(authMode);
  if (modeViolation) {
    throw new UnsupportedEntryError(modeViolation.message, {
      authenticationMode: authMode,
    });
  }
  const typeViolation = checkEntryTypeAllowsGroups(entry.type);
  if (typeViolation) {
    throw new UnsupportedEntryError(typeViolation.message, {
      type: entry.type,
    });
  }
}

export interface IntakePlan {
  request: Omit<StoredRequest, 'auditSeq' | 'auditHash'>;
  events: EventDraft[];
  diff: EntryDiff;
  decision: IntakeDecision;
}

export interface IntakeInput {
  requestId: string;
  body: SubmitRequestBody;
  requestedBy: string;
  entry: CurrentEntry;
  policy: PolicyEngine;
  now: Date;
}

/** Facts policy decides on, from a request and the entry before it. */
export function changeFacts(
  request: Pick<
    StoredRequest,
    'requestedBy' | 'clusterName' | 'principalArn' | 'reason' | 'before'
  > & { durationMinutes?: number | undefined },
  after: { kubernetesGroups: string[]; username: string },
  entryType = 'STANDARD',
): ChangeFacts {
  return {
    ...diffEntry(request.before, after),
    requestedBy: request.requestedBy,
    clusterName: request.clusterName,
    principalArn: request.principalArn,
    entryType,
    reason: request.reason,
    ...(request.durationMinutes !== undefined
      ? { durationMinutes: request.durationMinutes }
      : {}),
  };
}

/**
 * Decides what a valid submission becomes: the stored request, its first
 * audit events and its approval path. Throws when policy denies it or when
 * it would change nothing.
 */
export function planIntake(input: IntakeInput): IntakePlan {
  const { body, entry, now } = input;
  const before: EntrySnapshot = {
    kubernetesGroups: entry.kubernetesGroups,
    username: entry.username,
    modifiedAt: entry.modifiedAt,
  };
  const after = {
    kubernetesGroups: body.kubernetesGroups ?? entry.kubernetesGroups,
    username: body.username ?? entry.username,
  };
  const base = {
    requestedBy: input.requestedBy,
    clusterName: body.clusterName,
    principalArn: body.principalArn,
    reason: body.reason,
    before,
    durationMinutes: body.durationMinutes,
  };
  const facts = changeFacts(base, after, entry.type);
  if (isEmptyDiff(facts)) {
    throw new ValidationError(
      [{ path: 'kubernetesGroups', message: 'the change changes nothing' }],
      'The entry already has these groups and this username',
    );
  }

  const decision = input.policy.evaluateIntake(facts);
  const policyEvent: EventDraft = {
    type: 'POLICY_EVALUATED',
    actor: 'system',
    details: {
      question: 'request',
      allowed: decision.allowed,
      approvalsRequired: decision.approvalsRequired,
      autoApproved: decision.autoApproved,
      policyIds: decision.policyIds,
      reasons: decision.reasons,
    },
  };
  if (!decision.allowed) {
    throw new PolicyDeniedError(decision.reasons);
  }

  const at = now.toISOString();
  const request: IntakePlan['request'] = {
    requestId: input.requestId,
    status: decision.autoApproved ? 'APPROVED' : 'PENDING_APPROVAL',
    clusterName: body.clusterName,
    principalArn: body.principalArn,
    requestedBy: input.requestedBy,
    reason: body.reason,
    ...(body.durationMinutes !== undefined
      ? { durationMinutes: body.durationMinutes }
      : {}),
    before,
    after,
    approvalsRequired: decision.approvalsRequired,
    approvals: [],
    createdAt: at,
    updatedAt: at,
    lockId: lockIdFor(body.clusterName, body.principalArn),
    executionAttempts: 0,
  };
  const events: EventDraft[] = [
    {
      type: 'REQUESTED',
      actor: input.requestedBy,
      details: {
        clusterName: body.clusterName,
        principalArn: body.principalArn,
        reason: body.reason,
        before,
        after,
        ...(body.durationMinutes !== undefined
          ? { durationMinutes: body.durationMinutes }
          : {}),
      },
    },
    policyEvent,
  ];
  if (decision.autoApproved) {
    events.push({
      type: 'APPROVED',
      actor: 'system',
      details: { automatic: true, policyIds: decision.policyIds },
    });
  }
  return { request, events, diff: facts, decision };
}
