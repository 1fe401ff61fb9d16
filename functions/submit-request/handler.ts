import { ulid } from 'ulid';
import { config } from '../../adapters/config.ts';
import { type IdempotentCall, idempotent } from '../../adapters/idempotency.ts';
import { loadPolicyEngine } from '../../adapters/policy-loader.ts';
import { createRequest, transition } from '../../adapters/request-store.ts';
import { approvalWindow, startWorkflow } from '../../adapters/sfn.ts';
import { ValidationError } from '../../core/errors.ts';
import { checkEksRules, checkEntry, planIntake } from '../../core/intake.ts';
import { toPublicRequest } from '../../core/request.ts';
import { submitRequestSchema } from '../../core/request-schema.ts';
import { readCurrentEntry } from '../shared/entry.ts';
import {
  type HttpEvent,
  type HttpResult,
  httpHandler,
  json,
  parseJsonBody,
  rawBody,
} from '../shared/http.ts';
import { callerIdentity } from '../shared/identity.ts';
import { logger } from '../shared/logger.ts';
import { countOutcome } from '../shared/metrics.ts';
import { warmUpPolicies } from '../shared/warm-up.ts';

warmUpPolicies();

/**
 * `POST /requests`: validates the change, asks policy, stores the request
 * with its first audit events and its lock in one transaction, and starts
 * the workflow named after the request. With an `Idempotency-Key` header
 * a repeated call returns the first answer.
 */
export const handler = httpHandler(async (event) => {
  const requestedBy = callerIdentity(event);
  const key = event.headers?.['idempotency-key'];
  if (key === undefined) return submit(requestedBy, event);
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ValidationError([
      {
        path: 'Idempotency-Key',
        message: 'must be 1 to 255 printable ASCII characters',
      },
    ]);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody(event));
  } catch {
    // Not JSON: submit answers with the precise error.
    return submit(requestedBy, event);
  }
  return submitOnce({ identity: requestedBy, key, payload, event });
});

/**
 * The event rides along in the call; only identity, key and payload make
 * up the idempotency record's key and body check.
 */
const submitOnce = idempotent(
  async (call: IdempotentCall & { event: HttpEvent }) =>
    submit(call.identity, call.event),
);

async function submit(
  requestedBy: string,
  event: HttpEvent,
): Promise<HttpResult> {
  const body = parseJsonBody(event, submitRequestSchema);
  checkEksRules(body);
  logger.appendKeys({ clusterName: body.clusterName });

  const { authMode, entry } = await readCurrentEntry(
    body.clusterName,
    body.principalArn,
  );
  checkEntry(authMode, entry);
  const policy = await loadPolicyEngine();
  const plan = planIntake({
    requestId: ulid(),
    body,
    requestedBy,
    entry,
    policy,
    now: new Date(),
  });
  const { request } = await createRequest(plan.request, plan.events);
  logger.appendKeys({ requestId: request.requestId });

  try {
    await startWorkflow({
      requestId: request.requestId,
      autoApproved: plan.decision.autoApproved,
      ...approvalWindow(config.approvalTimeoutSeconds()),
      ...(request.durationMinutes !== undefined
        ? { durationMinutes: request.durationMinutes }
        : {}),
    });
  } catch (error) {
    // Without a workflow nothing would ever move the request on: close it
    // now, with the reason in its audit, and free the lock.
    logger.error('could not start the workflow', { error });
    await transition(request.requestId, () => ({
      status: 'FAILED',
      set: {
        error: { code: 'ServerError', message: 'The workflow did not start' },
      },
      events: [
        {
          type: 'EXECUTION_FAILED',
          actor: 'system',
          details: { code: 'ServerError', stage: 'StartExecution' },
        },
      ],
    }));
    return json(503, {
      error: {
        code: 'ServerError',
        message: 'The workflow did not start; the request was closed',
        requestId: request.requestId,
      },
    });
  }
  countOutcome('RequestsSubmitted', request.clusterName);
  if (plan.decision.autoApproved) {
    countOutcome('RequestsApproved', request.clusterName);
  }
  logger.info('request submitted', {
    status: request.status,
    approvalsRequired: request.approvalsRequired,
  });
  return json(202, toPublicRequest(request));
}
