import { TransitionRefused, transition } from '../../adapters/request-store.ts';
import { stopWorkflow } from '../../adapters/sfn.ts';
import { updateMessage } from '../../adapters/slack.ts';
import { diffEntry } from '../../core/diff.ts';
import { ConflictError, PolicyDeniedError } from '../../core/errors.ts';
import { type StoredRequest, toPublicRequest } from '../../core/request.ts';
import { approvalMessage } from '../../core/slack-message.ts';
import { httpHandler, json, requestIdParam } from '../shared/http.ts';
import { callerIdentity } from '../shared/identity.ts';
import { logger } from '../shared/logger.ts';
import { countOutcome } from '../shared/metrics.ts';

/**
 * `POST /requests/{requestId}/cancel`: the requester withdraws a request
 * still waiting for approval. The status, its audit event and the lock
 * release land together; then the workflow is stopped and the Slack
 * message updated.
 */
export const handler = httpHandler(async (event) => {
  const identity = callerIdentity(event);
  const requestId = requestIdParam(event);
  logger.appendKeys({ requestId });

  let request: StoredRequest;
  try {
    ({ request } = await transition(requestId, (current) => {
      if (current.requestedBy !== identity) {
        throw new PolicyDeniedError([
          'Only the requester may cancel a request',
        ]);
      }
      if (current.status !== 'PENDING_APPROVAL') {
        throw new TransitionRefused(
          current,
          `Request ${requestId} is ${current.status} and can no longer be cancelled`,
        );
      }
      return {
        status: 'CANCELLED',
        events: [{ type: 'CANCELLED', actor: identity, details: {} }],
      };
    }));
  } catch (error) {
    if (error instanceof TransitionRefused) {
      throw new ConflictError(error.message, {
        status: error.current.status,
      });
    }
    throw error;
  }

  await stopWorkflow(requestId, `Cancelled by ${identity}`).catch(
    (error: unknown) => logger.warn('could not stop the workflow', { error }),
  );
  if (request.slack) {
    const { text, blocks } = approvalMessage(
      toPublicRequest(request),
      diffEntry(request.before, request.after),
    );
    await updateMessage(request.slack, text, blocks).catch((error: unknown) =>
      logger.warn('could not update the approval message', { error }),
    );
  }
  countOutcome('RequestsCancelled', request.clusterName);
  logger.info('request cancelled');
  return json(200, toPublicRequest(request));
});
