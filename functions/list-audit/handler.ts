import { z } from 'zod';
import {
  auditFilterShape,
  checkAuditRange,
  queryAudit,
} from '../../adapters/audit-query.ts';
import { limitParam } from '../../adapters/pagination.ts';
import { httpHandler, json } from '../shared/http.ts';
import { callerIdentity } from '../shared/identity.ts';
import { logger } from '../shared/logger.ts';
import { authorizeReadAll, parseQuery } from '../shared/query.ts';

const querySchema = z
  .strictObject({
    ...auditFilterShape,
    limit: limitParam,
    nextToken: z.string().optional(),
  })
  .superRefine(checkAuditRange);

/**
 * `GET /audit`: audit events across requests, oldest first, for those
 * policy lets read the whole audit.
 */
export const handler = httpHandler(async (event) => {
  const identity = callerIdentity(event);
  const { limit, nextToken, ...filters } = parseQuery(event, querySchema);
  if (filters.clusterName) {
    logger.appendKeys({ clusterName: filters.clusterName });
  }

  await authorizeReadAll(identity);
  const page = await queryAudit(filters, { limit, nextToken });
  return json(200, page);
});
