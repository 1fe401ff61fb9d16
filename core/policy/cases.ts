import { z } from 'zod';
import type { ChangeFacts, PolicyEngine } from '../policy.ts';

/**
 * Facts a case may leave out take these values, so that a case states only
 * what it is about. They describe a plain change to the seed's `demo`
 * cluster.
 */
export const caseFactDefaults = {
  clusterName: 'demo',
  principalArn: 'arn:aws:iam::111122223333:role/developers',
  entryType: 'STANDARD',
  reason: 'policy test',
  groupsAdded: [],
  groupsRemoved: [],
  usernameBefore: '',
} as const;

const factsSchema = z.strictObject({
  requestedBy: z.string().optional(),
  clusterName: z.string().optional(),
  principalArn: z.string().optional(),
  entryType: z.string().optional(),
  reason: z.string().optional(),
  groupsAdded: z.array(z.string()).optional(),
  groupsRemoved: z.array(z.string()).optional(),
  usernameBefore: z.string().optional(),
  /** Defaults to `usernameBefore`: the username is unchanged. */
  usernameAfter: z.string().optional(),
  durationMinutes: z.number().int().nonnegative().optional(),
});

const policyCaseSchema = z
  .strictObject({
    name: z.string().min(1),
    /**
     * The question: RequestChange is the whole intake (request, automatic
     * approval, approvals needed); Approve covers approve and reject;
     * ReadAudit reads one request, ReadAllAudit the whole audit.
     */
    action: z.enum(['RequestChange', 'Approve', 'ReadAudit', 'ReadAllAudit']),
    /** Who asks; for RequestChange, the requester. */
    identity: z.string().min(1),
    facts: factsSchema.default({}),
    expect: z.strictObject({
      decision: z.enum(['allow', 'deny']),
      /** Compared as sets: every reason, no more. */
      reasons: z.array(z.string()).optional(),
      policyIds: z.array(z.string()).optional(),
      approvalsRequired: z.number().int().nonnegative().optional(),
      autoApproved: z.boolean().optional(),
    }),
  })
  .refine(
    (c) =>
      c.action === 'RequestChange' ||
      c.action === 'ReadAllAudit' ||
      c.facts.requestedBy !== undefined,
    { message: 'facts.requestedBy is required for this action' },
  );

/** A file of cases, as in `policies/tests/*.json`. */
export const policyCaseFileSchema = z.strictObject({
  description: z.string().optional(),
  cases: z.array(policyCaseSchema).min(1),
});

export type PolicyCase = z.infer<typeof policyCaseSchema>;

/** The outcome of one case: failures empty means it passed. */
export interface CaseResult {
  name: string;
  failures: string[];
}

/** Fills a case's facts with {@link caseFactDefaults}. */
export function caseFacts(policyCase: PolicyCase): ChangeFacts {
  const { facts } = policyCase;
  const usernameBefore =
    facts.usernameBefore ?? caseFactDefaults.usernameBefore;
  return {
    clusterName: facts.clusterName ?? caseFactDefaults.clusterName,
    principalArn: facts.principalArn ?? caseFactDefaults.principalArn,
    entryType: facts.entryType ?? caseFactDefaults.entryType,
    reason: facts.reason ?? caseFactDefaults.reason,
    groupsAdded: facts.groupsAdded ?? [],
    groupsRemoved: facts.groupsRemoved ?? [],
    usernameBefore,
    usernameAfter: facts.usernameAfter ?? usernameBefore,
    requestedBy: facts.requestedBy ?? policyCase.identity,
    ...(facts.durationMinutes === undefined
      ? {}
      : { durationMinutes: facts.durationMinutes }),
  };
}

/** Asks the engine the case's question and compares with `expect`. */
export function runPolicyCase(
  engine: PolicyEngine,
  policyCase: PolicyCase,
): CaseResult {
  const { action, identity, expect } = policyCase;
  const facts = caseFacts(policyCase);
  const failures: string[] = [];
  const check = (what: string, actual: unknown, expected: unknown) => {
    if (expected === undefined) return;
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      failures.push(
        `${what}: expected ${JSON.stringify(expected)}, ` +
          `got ${JSON.stringify(actual)}`,
      );
    }
  };
  const sorted = (list: readonly string[] | undefined) =>
    list === undefined ? undefined : [...list].sort();

  let decision: {
    allowed: boolean;
    reasons: string[];
    policyIds: string[];
    approvalsRequired?: number;
    autoApproved?: boolean;
  };
  try {
    decision =
      action === 'RequestChange'
        ? engine.evaluateIntake(facts)
        : action === 'Approve'
          ? engine.evaluateDecision(identity, facts)
          : engine.evaluateRead(
              identity,
              action === 'ReadAudit' ? facts : undefined,
            );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      name: policyCase.name,
      failures: [`evaluation failed: ${message}`],
    };
  }

  check('decision', decision.allowed ? 'allow' : 'deny', expect.decision);
  check('reasons', sorted(decision.reasons), sorted(expect.reasons));
  check('policyIds', sorted(decision.policyIds), sorted(expect.policyIds));
  check(
    'approvalsRequired',
    decision.approvalsRequired,
    expect.approvalsRequired,
  );
  check('autoApproved', decision.autoApproved, expect.autoApproved);
  return { name: policyCase.name, failures };
}
