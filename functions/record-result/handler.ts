import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import {
  type TransitionPlan,
  TransitionRefused,
  transition,
} from '../../adapters/request-store.ts';
import { postMessage, updateMessage } from '../../adapters/slack.ts';
import type { EventDraft } from '../../core/audit-chain.ts';
import { diffEntry } from '../../core/diff.ts';
import { errorCodeFor } from '../../core/drift.ts';
import { type StoredRequest, toPublicRequest } from '../../core/request.ts';
import { approvalMessage, resultReply } from '../../core/slack-message.ts';
import { type Status, statusesLeadingTo } from '../../core/status.ts';
import { logger } from '../shared/logger.ts';
import { countOutcome, type OutcomeMetric } from '../shared/metrics.ts';

/** A Step Functions error as a Catch hands it over. */
export interface WorkflowError {
  Error: string;
  Cause?: string;
}

export type RecordResultInput =
  | {
      requestId: string;
      outcome: 'succeeded';
      result: { accessEntry: Record<string, unknown> };
    }
  | {
      requestId: string;
      outcome: 'failed' | 'revert-failed';
      error: WorkflowError;
    }
  | { requestId: string; outcome: 'expired' }
  | {
      requestId: string;
      outcome: 'reverted';
      revert: { outcome: 'reverted' | 'skipped'; reason?: string };
    };

export interface RecordResultOutput {
  timeBound: boolean;
  expiresAt: string | null;
  status: Status;
}

/**
 * The message inside a workflow error's Cause: a Lambda error arrives as
 * JSON with `errorMessage`; anything else is kept as it came.
 */
export function causeMessage(error: WorkflowError): string {
  const cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: the cause is the message itself.
  }
  return cause || error.Error;
}

function planFor(
  input: RecordResultInput,
  current: StoredRequest,
  now: Date,
): TransitionPlan {
  const event = (type: EventDraft['type'], details: object): EventDraft => ({
    type,
    actor: 'system',
    details: details as Record<string, unknown>,
  });
  switch (input.outcome) {
    case 'succeeded': {
      const timeBound = current.durationMinutes !== undefined;
      const expiresAt = timeBound
        ? new Date(now.getTime() + (current.durationMinutes ?? 0) * 60_000)
        : undefined;
      return {
        status: 'SUCCEEDED',
        set: {
          result: input.result,
          ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
        },
        events: [
          event('EXECUTION_SUCCEEDED', {
            attempts: current.executionAttempts,
            accessEntry: input.result.accessEntry,
            ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
          }),
        ],
      };
    }
    case 'failed':
    case 'revert-failed': {
      const code = errorCodeFor(input.error.Error);
      const message =
        (input.outcome === 'revert-failed' ? 'The revert failed: ' : '') +
        causeMessage(input.error);
      return {
        status: 'FAILED',
        set: { error: { code, message } },
        events: [
          event('EXECUTION_FAILED', {
            code,
            error: input.error.Error,
            message,
            attempts: current.executionAttempts,
            ...(input.outcome === 'revert-failed' ? { stage: 'revert' } : {}),
          }),
        ],
      };
    }
    case 'expired':
      return {
        status: 'EXPIRED',
        events: [event('EXPIRED', { approvals: current.approvals.length })],
      };
    case 'reverted': {
      const { outcome, reason } = input.revert;
      return {
        status: 'REVERTED',
        set: {
          revert: {
            outcome,
            ...(reason ? { reason } : {}),
            at: now.toISOString(),
          },
        },
        events: [
          event('REVERTED', {
            outcome,
            ...(reason ? { reason } : {}),
            to: current.before,
          }),
        ],
      };
    }
  }
}

const OUTCOME_METRIC: Partial<Record<Status, OutcomeMetric>> = {
  SUCCEEDED: 'RequestsSucceeded',
  FAILED: 'RequestsFailed',
  EXPIRED: 'RequestsExpired',
};

const TARGET: Record<RecordResultInput['outcome'], Status> = {
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  'revert-failed': 'FAILED',
  expired: 'EXPIRED',
  reverted: 'REVERTED',
};

/**
 * Records how the workflow ended a step: status, audit event and lock
 * release in one transaction, then the Slack thread. A status that can no
 * longer be reached (the request was cancelled meanwhile, or this is a
 * retried invocation) changes nothing.
 */
export const handler = middy<RecordResultInput, RecordResultOutput>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (input) => {
    logger.appendKeys({ requestId: input.requestId, outcome: input.outcome });
    const target = TARGET[input.outcome];
    let request: StoredRequest;
    try {
      ({ request } = await transition(input.requestId, (current) => {
        if (!statusesLeadingTo(target).includes(current.status)) {
          throw new TransitionRefused(
            current,
            `${current.status} cannot become ${target}`,
          );
        }
        return planFor(input, current, new Date());
      }));
      const metric = OUTCOME_METRIC[request.status];
      if (metric) countOutcome(metric, request.clusterName);
    } catch (error) {
      if (!(error instanceof TransitionRefused)) throw error;
      logger.warn('result not recorded', { reason: error.message });
      request = error.current;
    }

    logger.appendKeys({ clusterName: request.clusterName });
    await tellSlack(request);
    return {
      timeBound: request.status === 'SUCCEEDED' && !!request.expiresAt,
      expiresAt: request.expiresAt ?? null,
      status: request.status,
    };
  });

async function tellSlack(request: StoredRequest): Promise<void> {
  if (!request.slack) return;
  const view = toPublicRequest(request);
  try {
    await postMessage(
      request.slack.channel,
      resultReply(view),
      [],
      request.slack.ts,
    );
    const { text, blocks } = approvalMessage(
      view,
      diffEntry(request.before, request.after),
    );
    await updateMessage(request.slack, text, blocks);
  } catch (error) {
    // Slack is a courtesy here: the audit already holds the outcome.
    logger.warn('could not post the result to Slack', { error });
  }
}
