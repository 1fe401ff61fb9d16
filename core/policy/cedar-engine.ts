import { randomUUID } from 'node:crypto';
import {
  type AuthorizationAnswer,
  type CedarValueJson,
  type Context,
  checkParseContext,
  checkParseEntities,
  type EntityJson,
  preparsePolicySet,
  preparseSchema,
  statefulIsAuthorized,
} from '@cedar-policy/cedar-wasm/nodejs';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type {
  ChangeFacts,
  IntakeDecision,
  PolicyDecision,
  PolicyEngine,
} from '../policy.ts';
import {
  type CompiledPolicy,
  type PolicySources,
  PolicySetError,
  parsePolicySources,
  toStaticPolicies,
  validatePolicies,
} from './policy-set.ts';

/** What the engine is built from; the loader reads it from files. */
export interface CedarPolicyEngineOptions {
  /** All policies, as one text or file name -> text. */
  policiesText: PolicySources;
  /** Cedar schema (human format). Without it nothing is type-checked. */
  schemaText?: string;
  /** Cedar entities JSON: users, groups, clusters. */
  entities: unknown;
  /** Names the schema in problems; defaults to `schema.cedarschema`. */
  schemaFile?: string;
  /** Names the entities in problems; defaults to `<entities>`. */
  entitiesFile?: string;
}

/** Thrown when Cedar refuses a request the engine built. */
export class PolicyEvaluationError extends AppError {
  constructor(action: string, messages: string[]) {
    super(
      'PolicyEvaluationFailed',
      500,
      `Cedar could not evaluate ${action}: ${messages.join('; ')}`,
      { action },
    );
  }
}

/**
 * Cedar Longs are integers; a value past JavaScript's safe range is clamped
 * so that it still compares as large instead of failing the request.
 */
const maxLong = Number.MAX_SAFE_INTEGER;

const uidSchema = z.union([
  z.object({ type: z.string(), id: z.string() }),
  z.object({ __entity: z.object({ type: z.string(), id: z.string() }) }),
]);

const entitiesSchema = z.array(
  z.looseObject({
    uid: uidSchema,
    attrs: z.record(z.string(), z.unknown()).default({}),
    parents: z.array(uidSchema).default([]),
  }),
);

type Uid = { type: string; id: string };

interface Evaluation {
  allowed: boolean;
  /** Determining policies, in the order they are written. */
  determining: CompiledPolicy[];
  /** Policies that failed to evaluate, with Cedar's message. */
  errors: Array<{ policyId: string; message: string }>;
}

/**
 * Builds a {@link PolicyEngine} over Cedar. Parses, validates and caches the
 * policy set and schema once, here; each question afterwards is one or two
 * Cedar calls over only the entities that request can reach.
 *
 * Fails closed: a policy that errors while evaluating (a missing entity, an
 * overflow) denies, where Cedar alone would skip it, because a skipped
 * forbid would let a change through.
 *
 * @throws PolicySetError when a policy, the schema or the entities are
 *   invalid, naming the file and line.
 */
export function createCedarPolicyEngine(
  options: CedarPolicyEngineOptions,
): PolicyEngine {
  const { schemaText } = options;
  const schemaFile = options.schemaFile ?? 'schema.cedarschema';
  const { policies, problems } = parsePolicySources(options.policiesText);
  if (schemaText !== undefined && problems.length === 0) {
    problems.push(...validatePolicies(policies, schemaText, schemaFile));
  }
  if (problems.length > 0) throw new PolicySetError(problems);

  // The wasm keeps preparsed sets in a process-wide table; unique names let
  // several engines (current and candidate, in simulate) live side by side.
  const setId = `policies-${randomUUID()}`;
  const schemaName = schemaText === undefined ? undefined : `schema-${setId}`;
  failOnProblem(
    preparsePolicySet(setId, { staticPolicies: toStaticPolicies(policies) }),
    '<policies>',
  );
  if (schemaName !== undefined && schemaText !== undefined) {
    failOnProblem(preparseSchema(schemaName, schemaText), schemaFile);
    checkContextsAgainstSchema(schemaText, schemaFile);
  }
  const store = indexEntities(
    options.entities,
    schemaText,
    options.entitiesFile ?? '<entities>',
  );
  const byId = new Map(policies.map((p, order) => [p.id, { p, order }]));

  const evaluate = (
    principal: Uid,
    action: string,
    resource: Uid,
    context: Context,
    extra: StoredEntity[],
  ): Evaluation => {
    const answer: AuthorizationAnswer = statefulIsAuthorized({
      principal,
      action: { type: 'Action', id: action },
      resource,
      context,
      preparsedPolicySetId: setId,
      ...(schemaName === undefined
        ? {}
        : { preparsedSchemaName: schemaName, validateRequest: true }),
      entities: store.slice([principal, ...entityRefs(context)], extra),
    });
    if (answer.type === 'failure') {
      throw new PolicyEvaluationError(
        action,
        answer.errors.map((e) => e.message),
      );
    }
    const { decision, diagnostics } = answer.response;
    const determining = diagnostics.reason
      .map((id) => byId.get(id))
      .filter((entry) => entry !== undefined)
      .sort((a, b) => a.order - b.order)
      .map((entry) => entry.p);
    return {
      allowed: decision === 'allow',
      determining,
      errors: diagnostics.errors.map((e) => ({
        policyId: e.policyId,
        message: e.error.message,
      })),
    };
  };

  const ask = (identity: string, action: string, facts: ChangeFacts) => {
    const entry = accessEntry(facts);
    return evaluate(
      userUid(identity),
      action,
      entry.uid,
      changeContext(facts),
      [entry],
    );
  };

  return {
    evaluateIntake(facts) {
      return decideIntake(facts, (action) =>
        ask(facts.requestedBy, action, facts),
      );
    },
    evaluateDecision(identity, facts) {
      return toDecision(
        ask(identity, 'Approve', facts),
        identity,
        'approve or reject this change',
      );
    },
    evaluateRead(identity, facts) {
      if (facts) {
        return toDecision(
          ask(identity, 'ReadAudit', facts),
          identity,
          'read this request',
        );
      }
      const all = evaluate(
        userUid(identity),
        'ReadAllAudit',
        { type: 'AuditLog', id: 'all' },
        {},
        [],
      );
      return toDecision(all, identity, 'read the whole audit');
    },
  };
}

/**
 * RequestChange decides; then AutoApprove, and only when that is not
 * allowed, RequireApprovals. Reasons and ids of every step are kept so the
 * audit shows why a change needs the approvals it needs.
 */
function decideIntake(
  facts: ChangeFacts,
  ask: (action: string) => Evaluation,
): IntakeDecision {
  const denied = (decision: PolicyDecision): IntakeDecision => ({
    ...decision,
    approvalsRequired: 0,
    autoApproved: false,
  });

  const request = ask('RequestChange');
  const intake = toDecision(request, facts.requestedBy, 'request this change');
  if (!intake.allowed) return denied(intake);

  const auto = ask('AutoApprove');
  if (auto.errors.length > 0) {
    return denied(toDecision(auto, facts.requestedBy, 'AutoApprove'));
  }
  if (auto.allowed) {
    return {
      allowed: true,
      reasons: [...intake.reasons, ...reasonsOf(auto.determining)],
      policyIds: [...intake.policyIds, ...idsOf(auto.determining)],
      approvalsRequired: 0,
      autoApproved: true,
    };
  }

  const required = ask('RequireApprovals');
  if (required.errors.length > 0) {
    return denied(toDecision(required, facts.requestedBy, 'RequireApprovals'));
  }
  const counted = required.allowed
    ? required.determining.filter((p) => p.annotations.approvals)
    : [];
  const approvalsRequired = Math.max(
    1,
    ...counted.map((p) => Number(p.annotations.approvals)),
  );
  const deciding = counted.filter(
    (p) => Number(p.annotations.approvals) === approvalsRequired,
  );
  return {
    allowed: true,
    reasons: [...intake.reasons, ...reasonsOf(deciding)],
    policyIds: [...intake.policyIds, ...idsOf(deciding)],
    approvalsRequired,
    autoApproved: false,
  };
}

function toDecision(
  evaluation: Evaluation,
  identity: string,
  question: string,
): PolicyDecision {
  if (evaluation.errors.length > 0) {
    return {
      allowed: false,
      reasons: evaluation.errors.map(
        (e) => `Policy ${e.policyId} could not be evaluated: ${e.message}`,
      ),
      policyIds: evaluation.errors.map((e) => e.policyId),
    };
  }
  const reasons = reasonsOf(evaluation.determining);
  if (!evaluation.allowed && reasons.length === 0) {
    reasons.push(`No policy allows ${identity} to ${question}`);
  }
  return {
    allowed: evaluation.allowed,
    reasons,
    policyIds: idsOf(evaluation.determining),
  };
}

function reasonsOf(policies: readonly CompiledPolicy[]): string[] {
  return policies.map((p) => p.annotations.reason ?? p.id);
}

function idsOf(policies: readonly CompiledPolicy[]): string[] {
  return policies.map((p) => p.id);
}

/** Identities are lower-cased e-mails (CONTRACT.md); so are User ids. */
function userUid(identity: string): Uid {
  return { type: 'User', id: identity.trim().toLowerCase() };
}

function accessEntry(facts: ChangeFacts): StoredEntity {
  const cluster = { type: 'Cluster', id: facts.clusterName };
  return {
    uid: {
      type: 'AccessEntry',
      id: `${facts.clusterName}/${facts.principalArn}`,
    },
    attrs: { cluster: { __entity: cluster }, principalArn: facts.principalArn },
    parents: [cluster],
  };
}

/** ChangeFacts as the schema's `ChangeContext`. */
export function changeContext(facts: ChangeFacts): Context {
  const minutes = facts.durationMinutes ?? 0;
  return {
    requester: { __entity: userUid(facts.requestedBy) },
    groupsAdded: [...facts.groupsAdded],
    groupsRemoved: [...facts.groupsRemoved],
    usernameChanged: facts.usernameBefore !== facts.usernameAfter,
    usernameBefore: facts.usernameBefore,
    usernameAfter: facts.usernameAfter,
    hasDuration: minutes > 0,
    durationMinutes: Math.min(Math.trunc(minutes), maxLong),
    entryType: facts.entryType,
    reason: facts.reason,
  };
}

/**
 * Catches a schema whose ChangeContext no longer matches what the engine
 * sends at load time, instead of on the first request.
 */
function checkContextsAgainstSchema(schemaText: string, schemaFile: string) {
  const sample = changeContext({
    requestedBy: 'sample@example.com',
    clusterName: 'sample',
    principalArn: 'arn:aws:iam::111122223333:role/sample',
    entryType: 'STANDARD',
    reason: 'sample',
    groupsAdded: [],
    groupsRemoved: [],
    usernameBefore: '',
    usernameAfter: '',
  });
  const actions = [
    'RequestChange',
    'Approve',
    'AutoApprove',
    'RequireApprovals',
    'ReadAudit',
  ];
  const problems = actions.flatMap((id) => {
    const answer = checkParseContext({
      context: sample,
      schema: schemaText,
      action: { type: 'Action', id },
    });
    return answer.type === 'success'
      ? []
      : answer.errors.map((e) => ({
          file: schemaFile,
          message: `context of Action::"${id}" does not match what the engine sends: ${e.message}`,
        }));
  });
  if (problems.length > 0) throw new PolicySetError(problems);
}

function failOnProblem(
  answer: { type: 'success' } | { type: 'failure'; errors: { message: string }[] },
  file: string,
) {
  if (answer.type === 'failure') {
    throw new PolicySetError(
      answer.errors.map((e) => ({ file, message: e.message })),
    );
  }
}

const keyOf = (uid: Uid) => `${uid.type}::${JSON.stringify(uid.id)}`;

function toUid(value: z.infer<typeof uidSchema>): Uid {
  return '__entity' in value ? value.__entity : value;
}

/** Entity references inside an attribute value, at any depth. */
function entityRefs(value: unknown): Uid[] {
  if (Array.isArray(value)) return value.flatMap(entityRefs);
  if (value === null || typeof value !== 'object') return [];
  if ('__entity' in value) {
    const parsed = uidSchema.safeParse(value);
    return parsed.success ? [toUid(parsed.data)] : [];
  }
  if ('__extn' in value) return [];
  return Object.values(value).flatMap(entityRefs);
}

type StoredEntity = EntityJson & { uid: Uid; parents: Uid[] };

/**
 * Holds the entities and hands Cedar only those a request can reach:
 * Cedar re-reads every entity it is given on every call, about 25
 * microseconds each, so passing 500 users would cost 13 ms a call.
 * "Reach" is the closure over parents and entity-valued attributes, which
 * is everything a policy can see from principal, resource and context.
 */
function indexEntities(
  raw: unknown,
  schemaText: string | undefined,
  file: string,
) {
  const parsed = entitiesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PolicySetError([
      {
        file,
        message: `${issue?.path.join('.')}: ${issue?.message}`,
      },
    ]);
  }
  const entities: StoredEntity[] = parsed.data.map((entity) => ({
    ...entity,
    uid: toUid(entity.uid),
    attrs: entity.attrs as Record<string, CedarValueJson>,
    parents: entity.parents.map(toUid),
  }));
  if (schemaText !== undefined) {
    const answer = checkParseEntities({ entities, schema: schemaText });
    if (answer.type === 'failure') {
      throw new PolicySetError(
        answer.errors.map((e) => ({ file, message: e.message })),
      );
    }
  }
  const byKey = new Map(entities.map((e) => [keyOf(e.uid), e]));
  const closures = new Map<string, StoredEntity[]>();

  const closure = (start: Uid): StoredEntity[] => {
    const cached = closures.get(keyOf(start));
    if (cached) return cached;
    const found = new Map<string, StoredEntity>();
    const pending = [start];
    for (let uid = pending.pop(); uid; uid = pending.pop()) {
      const entity = byKey.get(keyOf(uid));
      if (!entity || found.has(keyOf(uid))) continue;
      found.set(keyOf(uid), entity);
      pending.push(...entity.parents, ...entityRefs(entity.attrs));
    }
    const list = [...found.values()];
    closures.set(keyOf(start), list);
    return list;
  };

  return {
    /** `extra` are per-request entities; `roots` are looked up. */
    slice(roots: Uid[], extra: StoredEntity[]): EntityJson[] {
      const out = new Map(extra.map((e) => [keyOf(e.uid), e]));
      const starts = [
        ...roots,
        ...extra.flatMap((e) => [...e.parents, ...entityRefs(e.attrs)]),
      ];
      for (const entity of starts.flatMap(closure)) {
        out.set(keyOf(entity.uid), entity);
      }
      return [...out.values()];
    },
  };
}
