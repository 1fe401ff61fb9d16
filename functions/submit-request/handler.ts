import { ulid } from 'ulid';
import { config } from '../../adapters/config.ts';
import { loadPolicyEngine } from '../../adapters/policy-loader.ts';
import { createRequest, transition } from '../../adapters/request-store.ts';
import { startWorkflow } from '../../adapters/sfn.ts';
import { checkEksRules, checkEntry, planIntake } from '../../core/intake.ts';
import { submitRequestSchema, toPublicRequest } from '../../core/request.ts';
import { readCurrentEntry } from '../shared/entry.ts';
import { httpHandler, json, parseJsonBody } from '../shared/http.ts';
import { callerIdentity } from '../shared/identity.ts';
import { logger } from '../shared/logger.ts';

/**
 * `POST /requests`: validates the change, asks policy, stores the request
 * with its first audit events and its lock in one transaction, and starts
 * the workflow named after the request.
 */
export const handler = httpHandler(async (event) => {
  const requestedBy = callerIdentity(event);
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
      approvalTimeoutSeconds: config.approvalTimeoutSeconds(),
      ...(request.durationMinutes !== undefined
        ? { durationMinutes: request.durationMinutes }
        : {}),
    });
  } catch (error) {
    // Without a workflow nothing would ever move the request on: close it
    // now, with the reason in its audit, and free the lock.
    logger.error('could not start the workflow', { error });
    const failed = await transition(request.requestId, () => ({
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
      releaseLock: true,
    }));
    return json(503, {
      error: {
        code: 'ServerError',
        message: 'The workflow did not start; the request was closed',
        requestId: failed.request.requestId,
      },
    });
  }
  logger.info('request submitted', {
    status: request.status,
    approvalsRequired: request.approvalsRequired,
  });
  return json(202, toPublicRequest(request));
});
