import { loadPolicyEngine } from '../../adapters/policy-loader.ts';
import { PolicyDeniedError } from '../../core/errors.ts';
import { changeFacts } from '../../core/intake.ts';
import type { StoredRequest } from '../../core/request.ts';

/** Refuses with 403 unless policy lets `identity` read this request. */
export async function authorizeRead(
  identity: string,
  request: StoredRequest,
): Promise<void> {
  const policy = await loadPolicyEngine();
  const decision = policy.evaluateRead(
    identity,
    changeFacts(request, request.after),
  );
  if (!decision.allowed) throw new PolicyDeniedError(decision.reasons);
}
