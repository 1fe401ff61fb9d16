import { randomUUID } from 'node:crypto';
import {
  type AuthorizationAnswer,
  type CedarValueJson,
  type Context,
  type EntityJson,
  preparsePolicySet,
  preparseSchema,
  statefulIsAuthorized,
} from '@cedar-policy/cedar-wasm/nodejs';
import { AppError } from '../errors.ts';
import type {
  ChangeFacts,
  IntakeDecision,
  PolicyDecision,
  PolicyEngine,
} from '../policy.ts';
import {
  type CompiledPolicy,
  PolicySetError,
  type PolicySources,
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
  }
  const entitiesFile = options.entitiesFile ?? '<entities>';
  const store = indexEntities(options.entities, entitiesFile);
  if (schemaName !== undefined) {
    selfCheck(setId, schemaName, store.all, schemaFile, entitiesFile);
  }
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
 * Asks one sample question per action, so that entities that do not fit
 * the schema, or a schema whose contexts no longer match what the engine
 * sends, fail here at load time instead of on the first request. Going
 * through the preparsed schema matters: every stateless Cedar call parses
 * the schema again, at 20 to 80 ms each.
 */
function selfCheck(
  setId: string,
  schemaName: string,
  entities: readonly StoredEntity[],
  schemaFile: string,
  entitiesFile: string,
) {
  const facts: ChangeFacts = {
    requestedBy: 'sample@example.com',
    clusterName: 'sample',
    principalArn: 'arn:aws:iam::111122223333:role/sample',
    entryType: 'STANDARD',
    reason: 'sample',
    groupsAdded: [],
    groupsRemoved: [],
    usernameBefore: '',
    usernameAfter: '',
  };
  const entry = accessEntry(facts);
  const user = userUid(facts.requestedBy);
  const ask = (
    action: string,
    resource: Uid,
    context: Context,
    given: EntityJson[],
  ) =>
    statefulIsAuthorized({
      principal: user,
      action: { type: 'Action', id: action },
      resource,
      context,
      preparsedPolicySetId: setId,
      preparsedSchemaName: schemaName,
      validateRequest: true,
      entities: given,
    });

  const loaded = ask('ReadAllAudit', { type: 'AuditLog', id: 'all' }, {}, [
    ...entities,
  ]);
  if (loaded.type === 'failure') {
    throw new PolicySetError(
      loaded.errors.map((e) => ({ file: entitiesFile, message: e.message })),
    );
  }
  const changeActions = [
    'RequestChange',
    'Approve',
    'AutoApprove',
    'RequireApprovals',
    'ReadAudit',
  ];
  const problems = changeActions.flatMap((action) => {
    const answer = ask(action, entry.uid, changeContext(facts), [entry]);
    return answer.type === 'success'
      ? []
      : answer.errors.map((e) => ({
          file: schemaFile,
          message:
            `Action::"${action}" does not accept what the engine ` +
            `sends: ${e.message}`,
        }));
  });
  if (problems.length > 0) throw new PolicySetError(problems);
}

function failOnProblem(
  answer:
    | { type: 'success' }
    | { type: 'failure'; errors: { message: string }[] },
  file: string,
) {
  if (answer.type === 'failure') {
    throw new PolicySetError(
      answer.errors.map((e) => ({ file, message: e.message })),
    );
  }
}

const keyOf = (uid: Uid) => `${uid.type}::${JSON.stringify(uid.id)}`;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{type, id}` or `{__entity: {type, id}}`, the two forms Cedar reads. */
function toUid(value: unknown): Uid | undefined {
  const inner = isRecord(value) && '__entity' in value ? value.__entity : value;
  if (!isRecord(inner)) return undefined;
  const { type, id } = inner;
  return typeof type === 'string' && typeof id === 'string'
    ? { type, id }
    : undefined;
}

/** Entity references inside an attribute value, at any depth. */
function entityRefs(value: unknown): Uid[] {
  if (Array.isArray(value)) return value.flatMap(entityRefs);
  if (!isRecord(value) || '__extn' in value) return [];
  if ('__entity' in value) {
    const uid = toUid(value);
    return uid ? [uid] : [];
  }
  return Object.values(value).flatMap(entityRefs);
}

type StoredEntity = EntityJson & { uid: Uid; parents: Uid[] };

/**
 * Reads the entities JSON. Only the shape the slicing relies on is checked
 * here; attribute types are Cedar's to check, against the schema.
 */
function readEntities(raw: unknown, file: string): StoredEntity[] {
  const fail = (message: string): never => {
    throw new PolicySetError([{ file, message }]);
  };
  if (!Array.isArray(raw)) return fail('entities must be a JSON array');
  return raw.map((entity: unknown, index) => {
    if (!isRecord(entity)) return fail(`[${index}] is not an object`);
    const uid = toUid(entity.uid);
    if (!uid) return fail(`[${index}].uid needs a string type and id`);
    const attrs = entity.attrs ?? {};
    if (!isRecord(attrs)) return fail(`[${index}].attrs is not an object`);
    const rawParents = entity.parents ?? [];
    if (!Array.isArray(rawParents)) {
      return fail(`[${index}].parents is not an array`);
    }
    const parents = rawParents.map(
      (parent) =>
        toUid(parent) ?? fail(`[${index}].parents has a bad entity reference`),
    );
    return {
      ...entity,
      uid,
      attrs: attrs as Record<string, CedarValueJson>,
      parents,
    };
  });
}

/**
 * Holds the entities and hands Cedar only those a request can reach:
 * Cedar re-reads every entity it is given on every call, about 25
 * microseconds each, so passing 500 users would cost 13 ms a call.
 * "Reach" is the closure over parents and entity-valued attributes, which
 * is everything a policy can see from principal, resource and context.
 */
function indexEntities(raw: unknown, file: string) {
  const all = readEntities(raw, file);
  const byKey = new Map(all.map((e) => [keyOf(e.uid), e]));
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
    all,
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
