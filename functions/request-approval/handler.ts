import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { config } from '../../adapters/config.ts';
import { getRequest, transition } from '../../adapters/request-store.ts';
import { channelFor, postMessage } from '../../adapters/slack.ts';
import { diffEntry } from '../../core/diff.ts';
import { toPublicRequest } from '../../core/request.ts';
import { approvalMessage } from '../../core/slack-message.ts';
import { logger } from '../shared/logger.ts';

export interface RequestApprovalInput {
  requestId: string;
  taskToken: string;
}

/**
 * The `.waitForTaskToken` task: posts the approval message and stores the
 * task token with the request, so a later click can complete it. A retried
 * invocation reuses the message it already posted.
 */
export const handler = middy<RequestApprovalInput, { waiting: boolean }>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async ({ requestId, taskToken }) => {
    logger.appendKeys({ requestId });
    const request = await getRequest(requestId);
    logger.appendKeys({ clusterName: request.clusterName });
    if (request.status !== 'PENDING_APPROVAL') {
      logger.warn('approval requested for a request no longer pending', {
        status: request.status,
      });
      return { waiting: false };
    }

    const deadline = new Date(
      Date.parse(request.createdAt) + config.approvalTimeoutSeconds() * 1000,
    ).toISOString();
    const message =
      request.slack ??
      (await (async () => {
        const { text, blocks } = approvalMessage(
          toPublicRequest(request),
          diffEntry(request.before, request.after),
          deadline,
        );
        return postMessage(channelFor(request.clusterName), text, blocks);
      })());

    await transition(requestId, () => ({
      set: { taskToken, slack: message },
      events: [
        {
          type: 'APPROVAL_REQUESTED',
          actor: 'system',
          details: {
            channel: message.channel,
            messageTs: message.ts,
            approvalsRequired: request.approvalsRequired,
            decideBy: deadline,
          },
        },
      ],
    }));
    logger.info('approval requested', { channel: message.channel });
    return { waiting: true };
  });
