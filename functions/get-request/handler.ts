import { getRequest, listAudit } from '../../adapters/request-store.ts';
import { verifyChain } from '../../core/audit-chain.ts';
import { toPublicRequest } from '../../core/request.ts';
import { httpHandler, json, requestIdParam } from '../shared/http.ts';
import { callerIdentity } from '../shared/identity.ts';
import { logger } from '../shared/logger.ts';
import { authorizeRead } from '../shared/read-access.ts';
import { warmUpPolicies } from '../shared/warm-up.ts';

warmUpPolicies();

/**
 * `GET /requests/{requestId}` and `GET /requests/{requestId}/audit`: the
 * request, or its audit events with the chain recomputed.
 */
export const handler = httpHandler(async (event) => {
  const identity = callerIdentity(event);
  const requestId = requestIdParam(event);
  logger.appendKeys({ requestId });

  const request = await getRequest(requestId);
  await authorizeRead(identity, request);
  if (!event.rawPath.endsWith('/audit')) {
    return json(200, toPublicRequest(request));
  }

  const events = await listAudit(requestId);
  const { valid, brokenAt } = verifyChain(events, {
    seq: request.auditSeq,
    hash: request.auditHash,
  });
  return json(200, {
    events,
    verification: { valid, ...(brokenAt !== undefined ? { brokenAt } : {}) },
  });
});
