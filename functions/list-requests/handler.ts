import { z } from 'zod';
import { limitParam } from '../../adapters/pagination.ts';
import {
  queryRequests,
  requestFiltersSchema,
} from '../../adapters/request-query.ts';
import { httpHandler, json } from '../shared/http.ts';
import { callerIdentity } from '../shared/identity.ts';
import { logger } from '../shared/logger.ts';
import { authorizeReadAll, parseQuery } from '../shared/query.ts';

const querySchema = z.strictObject({
  ...requestFiltersSchema.shape,
  limit: limitParam,
  nextToken: z.string().optional(),
});

/**
 * `GET /requests`: requests newest first. Anyone may list the requests
 * they made themselves (`requestedBy=<self>`); any other listing needs
 * policy's leave to read every request.
 */
export const handler = httpHandler(async (event) => {
  const identity = callerIdentity(event);
  const { limit, nextToken, ...filters } = parseQuery(event, querySchema);
  if (filters.clusterName) {
    logger.appendKeys({ clusterName: filters.clusterName });
  }

  if (filters.requestedBy !== identity) await authorizeReadAll(identity);
  const page = await queryRequests(filters, { limit, nextToken });
  return json(200, page);
});
