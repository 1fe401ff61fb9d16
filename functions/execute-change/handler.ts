import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { AccessEntry } from '@aws-sdk/client-eks';
import middy from '@middy/core';
import {
  describeAccessEntry,
  entryToJson,
  updateAccessEntry,
} from '../../adapters/eks.ts';
import {
  getRequest,
  TransitionRefused,
  transition,
} from '../../adapters/request-store.ts';
import { sameGroups } from '../../core/diff.ts';
import { DriftedError, driftBetween } from '../../core/drift.ts';
import type { StoredRequest } from '../../core/request.ts';
import { logger } from '../shared/logger.ts';

export interface ExecuteChangeInput {
  requestId: string;
  mode: 'apply' | 'revert';
}

export type ExecuteChangeOutput =
  | { accessEntry: Record<string, unknown> }
  | { outcome: 'reverted'; accessEntry: Record<string, unknown> }
  | { outcome: 'skipped'; reason: string };

function observed(entry: AccessEntry) {
  return {
    kubernetesGroups: entry.kubernetesGroups ?? [],
    username: entry.username ?? '',
    modifiedAt: (
      entry.modifiedAt ??
      entry.createdAt ??
      new Date(0)
    ).toISOString(),
  };
}

/**
 * The only function allowed to call UpdateAccessEntry. `apply` executes the
 * approved diff if the entry is still as the request recorded it; `revert`
 * sets a time-bound change back if the entry is still as we left it.
 * EKS errors are rethrown under their own names so the state machine can
 * retry the transient ones.
 */
export const handler = middy<ExecuteChangeInput, ExecuteChangeOutput>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async ({ requestId, mode }) => {
    logger.appendKeys({ requestId, mode });
    return mode === 'revert' ? revert(requestId) : apply(requestId);
  });

async function apply(requestId: string): Promise<ExecuteChangeOutput> {
  const { request } = await transition(requestId, (current) => {
    if (current.status !== 'APPROVED' && current.status !== 'EXECUTING') {
      throw new TransitionRefused(
        current,
        `Request is ${current.status}, not approved`,
      );
    }
    const attempt = current.executionAttempts + 1;
    return {
      status: 'EXECUTING',
      set: { executionAttempts: attempt },
      events: [
        { type: 'EXECUTION_STARTED', actor: 'system', details: { attempt } },
      ],
    };
  });
  logger.appendKeys({ clusterName: request.clusterName });

  const now = observed(
    await describeAccessEntry(request.clusterName, request.principalArn),
  );
  const drift = driftBetween(request.before, now);
  if (drift.length > 0 && !isOurEarlierAttempt(request, now)) {
    logger.warn('entry drifted; nothing written', { drift });
    throw new DriftedError(drift);
  }

  const entry = await updateAccessEntry({
    clusterName: request.clusterName,
    principalArn: request.principalArn,
    kubernetesGroups: request.after.kubernetesGroups,
    username: request.after.username,
    clientRequestToken: request.requestId,
  });
  logger.info('access entry updated');
  return { accessEntry: entryToJson(entry) };
}

/**
 * An attempt whose UpdateAccessEntry reached EKS but whose answer was lost
 * leaves the entry exactly as approved. Calling again with the same
 * clientRequestToken is then a no-op in EKS, not a blind overwrite.
 */
function isOurEarlierAttempt(
  request: StoredRequest,
  now: { kubernetesGroups: string[]; username: string },
): boolean {
  return (
    request.executionAttempts > 1 &&
    sameGroups(now.kubernetesGroups, request.after.kubernetesGroups) &&
    now.username === request.after.username
  );
}

async function revert(requestId: string): Promise<ExecuteChangeOutput> {
  const request = await getRequest(requestId);
  logger.appendKeys({ clusterName: request.clusterName });
  const applied = request.result?.accessEntry as
    | { modifiedAt?: string }
    | undefined;
  const now = observed(
    await describeAccessEntry(request.clusterName, request.principalArn),
  );
  const drift = driftBetween(
    { ...request.after, modifiedAt: applied?.modifiedAt ?? '' },
    now,
  );
  const alreadyReverted =
    sameGroups(now.kubernetesGroups, request.before.kubernetesGroups) &&
    now.username === request.before.username &&
    drift.length > 0;
  if (drift.length > 0 && !alreadyReverted) {
    const reason = `The entry changed after our change: ${drift.join('; ')}`;
    logger.warn('revert skipped', { drift });
    return { outcome: 'skipped', reason };
  }

  const entry = await updateAccessEntry({
    clusterName: request.clusterName,
    principalArn: request.principalArn,
    kubernetesGroups: request.before.kubernetesGroups,
    username: request.before.username,
    clientRequestToken: `${request.requestId}-revert`,
  });
  logger.info('access entry reverted');
  return { outcome: 'reverted', accessEntry: entryToJson(entry) };
}
