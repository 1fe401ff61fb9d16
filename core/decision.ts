import type { EventDraft } from './audit-chain.ts';
import type { PolicyDecision } from './policy.ts';
import type { Approval, StoredRequest } from './request.ts';
import { isPending, type Status } from './status.ts';

export type Choice = 'APPROVED' | 'REJECTED';

/** What an approver's click does to a request. */
export type DecisionOutcome =
  | {
      kind: 'recorded';
      status: Status;
      /** The approvals quorum was reached: complete the task token. */
      completesApproval: boolean;
      rejects: boolean;
      approvals: Approval[];
      events: EventDraft[];
    }
  | {
      kind: 'refused';
      message: string;
      events: EventDraft[];
      /** Who has been refused so far, when this refusal adds someone. */
      refusedBy?: string[];
    };

/**
 * Applies one approver's decision. Refusals change nothing but, when
 * policy was asked, the policy's answer is still audited.
 */
export function decide(
  request: StoredRequest,
  identity: string,
  choice: Choice,
  policy: PolicyDecision,
  at: string,
): DecisionOutcome {
  if (!isPending(request.status)) {
    return {
      kind: 'refused',
      message: `This request is already ${request.status}; nothing changed.`,
      events: [],
    };
  }
  if (request.approvals.some((approval) => approval.by === identity)) {
    return {
      kind: 'refused',
      message: 'You have already decided on this request; nothing changed.',
      events: [],
    };
  }
  const policyEvent: EventDraft = {
    type: 'POLICY_EVALUATED',
    actor: identity,
    details: {
      question: 'decide',
      decision: choice,
      allowed: policy.allowed,
      policyIds: policy.policyIds,
      reasons: policy.reasons,
    },
  };
  if (!policy.allowed) {
    const why = policy.reasons.length > 0 ? policy.reasons.join('; ') : '';
    const message = `You may not decide on this request${why ? `: ${why}` : '.'}`;
    const refused = request.refusedBy ?? [];
    // One audited refusal per identity and request: repeated or replayed
    // clicks are answered the same way but cannot grow the audit.
    if (refused.includes(identity)) {
      return { kind: 'refused', message, events: [] };
    }
    return {
      kind: 'refused',
      message,
      events: [policyEvent],
      refusedBy: [...refused, identity],
    };
  }

  const approvals: Approval[] = [
    ...request.approvals,
    { by: identity, decision: choice, at },
  ];
  const given = approvals.filter((a) => a.decision === 'APPROVED').length;
  if (choice === 'REJECTED') {
    return {
      kind: 'recorded',
      status: 'REJECTED',
      completesApproval: false,
      rejects: true,
      approvals,
      events: [policyEvent, { type: 'REJECTED', actor: identity, details: {} }],
    };
  }
  const quorum = given >= request.approvalsRequired;
  return {
    kind: 'recorded',
    status: quorum ? 'APPROVED' : 'PENDING_APPROVAL',
    completesApproval: quorum,
    rejects: false,
    approvals,
    events: [
      policyEvent,
      {
        type: 'APPROVED',
        actor: identity,
        details: {
          approvalsGiven: given,
          approvalsRequired: request.approvalsRequired,
        },
      },
    ],
  };
}
