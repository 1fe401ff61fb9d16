import type { z } from 'zod';
import { loadPolicyEngine } from '../../adapters/policy-loader.ts';
import {
  PolicyDeniedError,
  ValidationError,
  type ValidationIssue,
} from '../../core/errors.ts';
import type { HttpEvent } from './http.ts';

/**
 * Parses the query string against a strict schema. Each problem names
 * its parameter and rule; an unknown parameter is refused rather than
 * ignored, so a misspelt filter never widens a query to everything.
 */
export function parseQuery<S extends z.ZodType>(
  event: HttpEvent,
  schema: S,
): z.infer<S> {
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (parsed.success) return parsed.data;
  const issues: ValidationIssue[] = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: key,
          message: 'is not a query parameter of this route',
        }))
      : [{ path: issue.path.join('.'), message: issue.message }],
  );
  const fields = [...new Set(issues.map((issue) => issue.path))];
  throw new ValidationError(
    issues,
    `Invalid query parameter${fields.length > 1 ? 's' : ''}: ${fields.join(', ')}`,
  );
}

/**
 * Refuses with 403 unless policy lets `identity` read every request and
 * the whole audit (no facts: the question is about all of them).
 */
export async function authorizeReadAll(identity: string): Promise<void> {
  const policy = await loadPolicyEngine();
  const decision = policy.evaluateRead(identity);
  if (!decision.allowed) throw new PolicyDeniedError(decision.reasons);
}
