import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { config } from '../../adapters/config.ts';
import { getRequest, transition } from '../../adapters/request-store.ts';
import { completeApproval, failApproval } from '../../adapters/sfn.ts';
import {
  channelFor,
  type PostedMessage,
  postMessage,
} from '../../adapters/slack.ts';
import { diffEntry } from '../../core/diff.ts';
import { type StoredRequest, toPublicRequest } from '../../core/request.ts';
import { approvalMessage, reminderReply } from '../../core/slack-message.ts';
import { logger } from '../shared/logger.ts';

export interface RequestApprovalInput {
  requestId: string;
  taskToken: string;
  /** Half the approval window has passed: remind, then keep waiting. */
  reminder?: boolean;
}

/**
 * The `.waitForTaskToken` task: posts the approval message (or, half-way
 * through the window, a reminder in its thread) and stores the task token
 * with the request, so a later click can complete it. A retried invocation
 * reuses the message it already posted.
 */
export const handler = middy<RequestApprovalInput, { waiting: boolean }>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async ({ requestId, taskToken, reminder = false }) => {
    logger.appendKeys({ requestId, reminder });
    const request = await getRequest(requestId);
    logger.appendKeys({ clusterName: request.clusterName });
    if (request.status !== 'PENDING_APPROVAL') {
      return settleFinishedDecision(request, taskToken);
    }

    const deadline = new Date(
      Date.parse(request.createdAt) + config.approvalTimeoutSeconds() * 1000,
    ).toISOString();
    const message = request.slack ?? (await postApproval(request, deadline));
    if (reminder) {
      await postMessage(
        message.channel,
        reminderReply(toPublicRequest(request), deadline),
        [],
        message.ts,
      );
    }

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
            approvalsGiven: request.approvals.length,
            decideBy: deadline,
            ...(reminder ? { reminder: true } : {}),
          },
        },
      ],
    }));
    logger.info('approval requested', { channel: message.channel });
    return { waiting: true };
  });

async function postApproval(
  request: StoredRequest,
  deadline: string,
): Promise<PostedMessage> {
  const { text, blocks } = approvalMessage(
    toPublicRequest(request),
    diffEntry(request.before, request.after),
    deadline,
  );
  return postMessage(channelFor(request.clusterName), text, blocks);
}

/**
 * A decision can land while no wait is open (between the first wait
 * timing out and the reminder's wait starting). The decision is already
 * recorded; pass it on to this wait's token so the workflow follows it.
 */
async function settleFinishedDecision(
  request: StoredRequest,
  taskToken: string,
): Promise<{ waiting: boolean }> {
  logger.info('the request is no longer pending', { status: request.status });
  if (request.status === 'APPROVED') await completeApproval(taskToken);
  if (request.status === 'REJECTED') {
    await failApproval(taskToken, 'Rejected', 'Rejected before the reminder');
  }
  return { waiting: false };
}
