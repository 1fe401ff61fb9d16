import {
  type DetailedError,
  policySetTextToParts,
  policyToJson,
  validate,
} from '@cedar-policy/cedar-wasm/nodejs';
import { AppError } from '../errors.ts';

/**
 * Cedar policy text: one string, or file name -> text so that problems can
 * name the file they are in.
 */
export type PolicySources = string | Readonly<Record<string, string>>;

/** One policy of the set, keyed by its `@id` annotation. */
export interface CompiledPolicy {
  id: string;
  file: string;
  /** Line of the policy's first character in its file, from 1. */
  line: number;
  text: string;
  effect: 'permit' | 'forbid';
  annotations: Readonly<Record<string, string>>;
}

/** Something wrong with a policy or the schema, located as well as known. */
export interface PolicyProblem {
  file: string;
  line?: number;
  column?: number;
  policyId?: string;
  message: string;
}

/** Thrown when a policy set or schema cannot be used. */
export class PolicySetError extends AppError {
  readonly problems: PolicyProblem[];

  constructor(problems: PolicyProblem[]) {
    super(
      'PolicySetInvalid',
      500,
      `Invalid policy set:\n${problems.map(formatProblem).join('\n')}`,
      { problems },
    );
    this.problems = problems;
  }
}

/** `file:line:column [policy]: message`, the way compilers print. */
export function formatProblem(problem: PolicyProblem): string {
  const where = [problem.file, problem.line, problem.column]
    .filter((part) => part !== undefined)
    .join(':');
  const policy = problem.policyId ? ` [${problem.policyId}]` : '';
  return `${where}${policy}: ${problem.message}`;
}

/** The name given to policy text that came without a file name. */
export const inlineFileName = '<policies>';

const positiveInteger = /^[1-9][0-9]{0,3}$/;

/**
 * Splits every file into policies and reads their annotations. Each policy
 * needs a unique `@id` (it becomes the Cedar policy id, so decisions name
 * it) and an `@reason` (it is what a refused user reads); `@approvals`, when
 * present, must be a positive integer.
 */
export function parsePolicySources(sources: PolicySources): {
  policies: CompiledPolicy[];
  problems: PolicyProblem[];
} {
  const files =
    typeof sources === 'string' ? { [inlineFileName]: sources } : sources;
  const policies: CompiledPolicy[] = [];
  const problems: PolicyProblem[] = [];
  const seen = new Map<string, CompiledPolicy>();

  for (const [file, text] of Object.entries(files)) {
    const parts = policySetTextToParts(text);
    if (parts.type === 'failure') {
      problems.push(...parts.errors.map((e) => locate(file, text, 0, e)));
      continue;
    }
    if (parts.policy_templates.length > 0) {
      problems.push({ file, message: 'policy templates are not supported' });
    }
    let searchFrom = 0;
    for (const part of parts.policies) {
      const offset = Math.max(0, text.indexOf(part, searchFrom));
      searchFrom = offset + part.length;
      const line = lineAndColumn(text, offset).line;
      const json = policyToJson(part);
      if (json.type === 'failure') {
        problems.push(...json.errors.map((e) => locate(file, text, offset, e)));
        continue;
      }
      const annotations = json.json.annotations ?? {};
      const id = annotations.id;
      const policyProblem = (message: string) =>
        problems.push({ file, line, ...(id ? { policyId: id } : {}), message });
      if (!id) {
        policyProblem('policy has no @id("...") annotation');
        continue;
      }
      const clash = seen.get(id);
      if (clash) {
        policyProblem(
          `@id "${id}" is also used at ${clash.file}:${clash.line}`,
        );
        continue;
      }
      if (!annotations.reason) {
        policyProblem('policy has no @reason("...") annotation');
      }
      const approvals = annotations.approvals;
      if (approvals !== undefined && !positiveInteger.test(approvals)) {
        policyProblem(`@approvals("${approvals}") is not a positive integer`);
      }
      const policy: CompiledPolicy = {
        id,
        file,
        line,
        text: part,
        effect: json.json.effect,
        annotations,
      };
      seen.set(id, policy);
      policies.push(policy);
    }
  }
  return { policies, problems };
}

/**
 * Checks the policies against the schema (Cedar strict validation): unknown
 * entity types, attributes or actions, and type errors in conditions.
 */
export function validatePolicies(
  policies: readonly CompiledPolicy[],
  schemaText: string,
  schemaFile = 'schema.cedarschema',
): PolicyProblem[] {
  const answer = validate({
    schema: schemaText,
    policies: { staticPolicies: toStaticPolicies(policies) },
    validationSettings: { mode: 'strict' },
  });
  if (answer.type === 'failure') {
    return answer.errors.map((e) => locate(schemaFile, schemaText, 0, e));
  }
  const byId = new Map(policies.map((p) => [p.id, p]));
  return answer.validationErrors.map(({ policyId, error }) => {
    const policy = byId.get(policyId);
    if (!policy) return { file: schemaFile, policyId, message: error.message };
    const start = error.sourceLocations?.[0]?.start ?? 0;
    const at = lineAndColumn(policy.text, start);
    return {
      file: policy.file,
      line: policy.line + at.line - 1,
      ...(at.line === 1 ? {} : { column: at.column }),
      policyId,
      message: error.message,
    };
  });
}

/** The policies as Cedar's `staticPolicies`, keyed by `@id`. */
export function toStaticPolicies(
  policies: readonly CompiledPolicy[],
): Record<string, string> {
  return Object.fromEntries(policies.map((p) => [p.id, p.text]));
}

function locate(
  file: string,
  text: string,
  base: number,
  error: DetailedError,
): PolicyProblem {
  const start = error.sourceLocations?.[0]?.start;
  const label = error.sourceLocations?.[0]?.label;
  const message = [error.message, label, error.help]
    .filter((part) => part)
    .join('; ');
  if (start === undefined) return { file, message };
  return { file, ...lineAndColumn(text, base + start), message };
}

function lineAndColumn(text: string, offset: number) {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { line, column };
}
