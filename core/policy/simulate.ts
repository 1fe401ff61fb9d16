import type { ChangeFacts, PolicyEngine } from '../policy.ts';

/** The intake decision as it was stored with a request. */
export interface StoredDecision {
  allowed: boolean;
  approvalsRequired: number;
  autoApproved: boolean;
}

/** A request from the history, with the facts policy decided on. */
export interface HistoricalRequest {
  requestId: string;
  facts: ChangeFacts;
  decision: StoredDecision;
}

/** A request the candidate policies would have decided differently. */
export interface ChangedOutcome {
  requestId: string;
  /** {@link outcomeOf} the stored decision. */
  before: string;
  /** {@link outcomeOf} the candidate's decision, or `ERROR`. */
  after: string;
  /** Why the candidate decides as it does. */
  reasons: string[];
  policyIds: string[];
}

/**
 * One word for what intake decided, the unit `simulate` compares:
 * `DENIED`, `AUTO_APPROVED` or `APPROVALS:<n>`. Reasons are not compared,
 * so rewording a policy's `@reason` changes no outcome.
 */
export function outcomeOf(decision: StoredDecision): string {
  if (!decision.allowed) return 'DENIED';
  if (decision.autoApproved) return 'AUTO_APPROVED';
  return `APPROVALS:${decision.approvalsRequired}`;
}

/**
 * Replays each request's intake against a candidate policy set and returns
 * those whose outcome would change, in the order given. A request the
 * candidate cannot evaluate counts as changed, with the error as reason,
 * so a broken candidate never looks harmless.
 */
export function simulate(
  requests: readonly HistoricalRequest[],
  candidate: PolicyEngine,
): ChangedOutcome[] {
  const changed: ChangedOutcome[] = [];
  for (const { requestId, facts, decision } of requests) {
    const before = outcomeOf(decision);
    let next: ChangedOutcome;
    try {
      const now = candidate.evaluateIntake(facts);
      next = {
        requestId,
        before,
        after: outcomeOf(now),
        reasons: now.reasons,
        policyIds: now.policyIds,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      next = {
        requestId,
        before,
        after: 'ERROR',
        reasons: [message],
        policyIds: [],
      };
    }
    if (next.after !== before) changed.push(next);
  }
  return changed;
}
