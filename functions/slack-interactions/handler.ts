import { z } from 'zod';
import { loadPolicyEngine } from '../../adapters/policy-loader.ts';
import {
  findRequest,
  TransitionRefused,
  transition,
} from '../../adapters/request-store.ts';
import { slackSecrets } from '../../adapters/secrets.ts';
import { completeApproval, failApproval } from '../../adapters/sfn.ts';
import { emailOf, postEphemeral, updateMessage } from '../../adapters/slack.ts';
import { type Choice, decide } from '../../core/decision.ts';
import { diffEntry } from '../../core/diff.ts';
import { NotFoundError, UnauthenticatedError } from '../../core/errors.ts';
import { changeFacts } from '../../core/intake.ts';
import { toPublicRequest } from '../../core/request.ts';
import { approvalMessage } from '../../core/slack-message.ts';
import { verifySlackSignature } from '../../core/slack-signature.ts';
import {
  type HttpEvent,
  httpHandler,
  json,
  REQUEST_ID,
  rawBody,
} from '../shared/http.ts';
import { logger } from '../shared/logger.ts';
import { countOutcome, recordApprovalLatency } from '../shared/metrics.ts';
import { warmUpPolicies } from '../shared/warm-up.ts';

warmUpPolicies();

interface BlockAction {
  userId: string;
  channelId: string;
  choice: Choice;
  requestId: string;
}

/** The part of a `block_actions` payload we act on; the rest is ignored. */
const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().regex(/^[A-Z0-9]{2,32}$/) }),
  channel: z.object({ id: z.string().max(64) }).optional(),
  container: z.object({ channel_id: z.string().max(64) }).optional(),
  actions: z
    .array(
      z.object({
        action_id: z.enum(['approve', 'reject']),
        value: z.string().regex(REQUEST_ID),
      }),
    )
    .min(1),
});

/**
 * Reads the one button click we act on from Slack's form payload, or
 * undefined for anything else (other interactions, malformed payloads).
 */
function parseAction(body: string): BlockAction | undefined {
  const payloadText = new URLSearchParams(body).get('payload');
  if (payloadText === null) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(payloadText);
  } catch {
    return undefined;
  }
  const parsed = blockActionsSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const payload = parsed.data;
  const action = payload.actions[0];
  const channelId = payload.channel?.id ?? payload.container?.channel_id;
  if (!action || !channelId) return undefined;
  return {
    userId: payload.user.id,
    channelId,
    choice: action.action_id === 'approve' ? 'APPROVED' : 'REJECTED',
    requestId: action.value,
  };
}

function header(event: HttpEvent, name: string): string | undefined {
  return event.headers?.[name] ?? undefined;
}

/**
 * `POST /slack/interactions`: verifies Slack's signature over the raw body,
 * maps the clicking user to an identity, asks policy, records the decision
 * with its audit events, and completes or fails the workflow's task token
 * when the decision is final. Every signed request gets a 200; what went
 * wrong is told to the user in an ephemeral message.
 */
export const handler = httpHandler(async (event) => {
  const body = rawBody(event);
  const { signingSecret } = await slackSecrets();
  const verdict = verifySlackSignature({
    signingSecret,
    timestamp: header(event, 'x-slack-request-timestamp'),
    signature: header(event, 'x-slack-signature'),
    rawBody: body,
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  if (!verdict.valid) {
    logger.warn('refused a Slack request', { reason: verdict.reason });
    throw new UnauthenticatedError('The Slack signature is not valid');
  }

  const action = parseAction(body);
  if (!action) {
    logger.info('ignored a Slack interaction we do not handle');
    return json(200, {});
  }
  logger.appendKeys({ requestId: action.requestId });
  const tell = (text: string) =>
    postEphemeral(action.channelId, action.userId, text).catch(
      (error: unknown) => logger.warn('ephemeral failed', { error }),
    );

  try {
    await decideFor(action, tell);
  } catch (error) {
    // Slack shows a failed interaction to the user but never retries it:
    // answer 200 and say so, with the details in our log.
    logger.error('could not record the decision', { error });
    await tell('Your decision could not be recorded; nothing changed.');
  }
  return json(200, {});
});

async function decideFor(
  action: BlockAction,
  tell: (text: string) => Promise<unknown>,
): Promise<void> {
  const identity = await emailOf(action.userId);
  if (!identity) {
    await tell('Your Slack profile has no e-mail, so you cannot decide here.');
    return;
  }
  await record(action, identity, tell);
}

/** Task tokens that are closed: the wait timed out or was stopped. */
const CLOSED_TOKEN_ERRORS = new Set([
  'TaskTimedOut',
  'TaskDoesNotExist',
  'InvalidToken',
]);

/**
 * Completes or fails the workflow's approval wait. False when the wait had
 * already closed; the workflow then records how it ended (EXPIRED).
 */
async function resumeWorkflow(
  token: string | undefined,
  outcome: { completesApproval: boolean; rejects: boolean },
  identity: string,
): Promise<boolean> {
  if (!token) return true;
  try {
    if (outcome.completesApproval) await completeApproval(token);
    if (outcome.rejects) {
      await failApproval(token, 'Rejected', `Rejected by ${identity}`);
    }
    return true;
  } catch (error) {
    if (error instanceof Error && CLOSED_TOKEN_ERRORS.has(error.name)) {
      logger.warn('the approval wait had already closed', {
        error: error.name,
      });
      return false;
    }
    throw error;
  }
}

async function record(
  action: BlockAction,
  identity: string,
  tell: (text: string) => Promise<unknown>,
): Promise<void> {
  const policy = await loadPolicyEngine();
  let refusal: string | undefined;
  let result: Awaited<ReturnType<typeof transition>>;
  let outcome: ReturnType<typeof decide> | undefined;
  try {
    result = await transition(action.requestId, (current) => {
      logger.appendKeys({ clusterName: current.clusterName });
      const decision = policy.evaluateDecision(
        identity,
        changeFacts(current, current.after),
      );
      outcome = decide(
        current,
        identity,
        action.choice,
        decision,
        new Date().toISOString(),
      );
      if (outcome.kind === 'refused') {
        if (outcome.events.length === 0) {
          throw new TransitionRefused(current, outcome.message);
        }
        refusal = outcome.message;
        return {
          events: outcome.events,
          ...(outcome.refusedBy
            ? { set: { refusedBy: outcome.refusedBy } }
            : {}),
        };
      }
      refusal = undefined;
      return {
        status: outcome.status,
        set: { approvals: outcome.approvals },
        events: outcome.events,
      };
    });
  } catch (error) {
    if (error instanceof TransitionRefused) {
      await tell(error.message);
      return;
    }
    // The request is read once, by the transition itself.
    if (error instanceof NotFoundError) {
      await tell(`There is no request ${action.requestId}.`);
      return;
    }
    throw error;
  }
  if (refusal !== undefined || outcome?.kind !== 'recorded') {
    logger.info('decision refused', { identity });
    await tell(refusal ?? 'Nothing changed.');
    return;
  }

  const { request } = result;
  logger.info('decision recorded', { identity, status: request.status });
  if (outcome.completesApproval) {
    countOutcome('RequestsApproved', request.clusterName);
    recordApprovalLatency(request.createdAt, request.clusterName);
  }
  if (outcome.rejects) countOutcome('RequestsRejected', request.clusterName);
  let resumed = await resumeWorkflow(request.taskToken, outcome, identity);
  if (!resumed) {
    // The wait may have moved on to the reminder's wait with a new token.
    const latest = await findRequest(request.requestId);
    if (latest?.taskToken && latest.taskToken !== request.taskToken) {
      resumed = await resumeWorkflow(latest.taskToken, outcome, identity);
    }
  }
  if (!resumed) {
    await tell(
      'Your decision was recorded, but the approval wait had already ended;' +
        ' the request will show how it ended.',
    );
    return;
  }
  if (request.slack) {
    const { text, blocks } = approvalMessage(
      toPublicRequest(request),
      diffEntry(request.before, request.after),
    );
    await updateMessage(request.slack, text, blocks).catch((error: unknown) =>
      logger.warn('could not update the approval message', { error }),
    );
  }
  await tell(
    outcome.completesApproval || outcome.rejects
      ? `Recorded: ${request.status}.`
      : `Recorded your approval: ${request.approvals.length} of ` +
          `${request.approvalsRequired}.`,
  );
}
