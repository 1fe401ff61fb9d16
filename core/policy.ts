import type { EntryDiff } from './diff.ts';

/**
 * The facts about a change that policy decides on. Built by the intake from
 * the request and the entry as EKS holds it; stored with the request so a
 * decision can be replayed later (`policy simulate`).
 */
export interface ChangeFacts extends EntryDiff {
  requestedBy: string;
  clusterName: string;
  principalArn: string;
  entryType: string;
  durationMinutes?: number;
  reason: string;
}

export interface PolicyDecision {
  allowed: boolean;
  /** Human reasons, from the determining policies' `@reason` annotations. */
  reasons: string[];
  /** Ids of the policies that determined the decision. */
  policyIds: string[];
}

export interface IntakeDecision extends PolicyDecision {
  /** 0 when the change is approved automatically. */
  approvalsRequired: number;
  autoApproved: boolean;
}

/** The three questions policy answers (DESIGN.md), plus reading the audit. */
export interface PolicyEngine {
  /** May the requester ask for this change, and how many approvals? */
  evaluateIntake(facts: ChangeFacts): IntakeDecision;
  /** May `identity` approve or reject this change? */
  evaluateDecision(identity: string, facts: ChangeFacts): PolicyDecision;
  /**
   * May `identity` read this request and its audit; without facts, may it
   * read the audit of every request.
   */
  evaluateRead(identity: string, facts?: ChangeFacts): PolicyDecision;
}
