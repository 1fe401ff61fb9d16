import { loadPolicyEngine } from '../../adapters/policy-loader.ts';

/**
 * Starts parsing the Cedar policies while the module initialises, so the
 * cost lands in Lambda's init phase rather than on the first request. A
 * failure here is left for the first request to report.
 */
export function warmUpPolicies(): void {
  void Promise.resolve()
    .then(() => loadPolicyEngine())
    .catch(() => undefined);
}
