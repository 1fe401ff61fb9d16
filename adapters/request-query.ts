import { z } from 'zod';
import { type ChangeRequest, toPublicRequest } from '../core/request.ts';
import { STATUSES } from '../core/status.ts';
import { principalKeyOf } from './audit-item.ts';
import { BATCH_GET_MAX, batchGetById } from './batch-get.ts';
import { config } from './config.ts';
import {
  decodeToken,
  encodeToken,
  fillFromKeys,
  fingerprint,
  type KeyLoader,
  type Page,
  type PageKey,
  type PartitionQuery,
} from './pagination.ts';
import { fromRequestItem } from './request-store.ts';

/**
 * The requests table's secondary indexes, each sorted by `createdAt` and
 * holding keys only. Only request items carry their key attributes (lock
 * items carry none). There is no status index: a status changes at every
 * step, and each change would move the item in it.
 */
export const REQUEST_INDEXES = {
  byPrincipal: 'principalKey',
  byRequester: 'requestedBy',
  byCluster: 'clusterName',
  byCreated: 'kind',
} as const;

export type RequestIndex = keyof typeof REQUEST_INDEXES;

/** The filters of `GET /requests`. */
export const requestFiltersSchema = z.object({
  clusterName: z.string().min(1).max(100).optional(),
  principalArn: z.string().min(1).max(2048).optional(),
  status: z.enum(STATUSES).optional(),
  requestedBy: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email('must be an e-mail address'))
    .optional(),
});

export type RequestFilters = z.infer<typeof requestFiltersSchema>;

interface Plan {
  index: RequestIndex;
  partition: string;
  /** Filters the index does not answer, by attribute. */
  rest: Record<string, string>;
}

/**
 * Picks the index that narrows the most: one principal on one cluster,
 * then one requester, one cluster, else every request; `status` is always
 * a filter.
 */
export function planRequestQuery(filters: RequestFilters): Plan {
  const { clusterName, principalArn, requestedBy, status } = filters;
  const rest: Record<string, string> = {};
  const keep = (name: string, value: string | undefined) => {
    if (value !== undefined) rest[name] = value;
  };
  if (clusterName !== undefined && principalArn !== undefined) {
    keep('requestedBy', requestedBy);
    keep('status', status);
    return {
      index: 'byPrincipal',
      partition: principalKeyOf({ clusterName, principalArn }),
      rest,
    };
  }
  keep('principalArn', principalArn);
  if (requestedBy !== undefined) {
    keep('clusterName', clusterName);
    keep('status', status);
    return { index: 'byRequester', partition: requestedBy, rest };
  }
  keep('status', status);
  if (clusterName !== undefined) {
    return { index: 'byCluster', partition: clusterName, rest };
  }
  return { index: 'byCreated', partition: 'REQUEST', rest };
}

/**
 * A query over one partition of a requests index, `createdAt` bounded.
 * The index holds keys only, so it cannot filter: {@link loaderFor}
 * applies the plan's other filters to the items.
 */
function partitionQuery(
  plan: Plan,
  newestFirst: boolean,
  created: { from?: string; to?: string } = {},
): PartitionQuery {
  const pk = REQUEST_INDEXES[plan.index];
  const names: Record<string, string> = { '#pk': pk };
  const values: Record<string, unknown> = { ':pk': plan.partition };
  let keyCondition = '#pk = :pk';
  if (created.from !== undefined || created.to !== undefined) {
    names['#created'] = 'createdAt';
    values[':from'] = created.from ?? '';
    // '~' sorts after every character of an ISO timestamp.
    values[':to'] = created.to ?? '~';
    keyCondition += ' AND #created BETWEEN :from AND :to';
  }
  return {
    input: {
      TableName: config.requestsTable(),
      IndexName: plan.index,
      KeyConditionExpression: keyCondition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: !newestFirst,
    },
    keyNames: ['id', pk, 'createdAt'],
  };
}

/**
 * Reads the items behind a page of index keys and keeps the requests
 * that match the plan's other filters. `kind` is checked too: lock items
 * written before locks lost their index attributes may still sit in
 * `byCluster`.
 */
function loaderFor(plan: Plan): KeyLoader {
  const rest = Object.entries(plan.rest);
  return {
    fetch: (keys) =>
      batchGetById(
        config.requestsTable(),
        keys.map((key) => key.id as string),
      ),
    batch: BATCH_GET_MAX,
    keep: (item) =>
      item.kind === 'REQUEST' &&
      rest.every(([name, value]) => item[name] === value),
    filtered: rest.length > 0,
  };
}

/**
 * One page of `GET /requests`, newest first, from the most selective
 * index; the page's items are then read by key and the other filters
 * applied to them, reading on until the page is full.
 *
 * @throws ValidationError naming `nextToken` when the token was not made
 *   by this query.
 */
export async function queryRequests(
  filters: RequestFilters,
  paging: { limit: number; nextToken?: string | undefined },
): Promise<Page<ChangeRequest>> {
  const plan = planRequestQuery(filters);
  const query = partitionQuery(plan, true);
  const print = fingerprint({ list: 'requests', ...filters });
  const pk = REQUEST_INDEXES[plan.index];
  const start =
    paging.nextToken === undefined
      ? undefined
      : decodeToken(
          paging.nextToken,
          print,
          query.keyNames,
          ({ key, day }) =>
            day === undefined &&
            key !== undefined &&
            key[pk] === plan.partition &&
            typeof key.id === 'string' &&
            typeof key.createdAt === 'string',
        ).key;
  const { items, next } = await fillFromKeys(
    query,
    paging.limit,
    start,
    loaderFor(plan),
  );
  return {
    items: items.map((item) => toPublicRequest(fromRequestItem(item))),
    ...(next ? { nextToken: encodeToken(print, { key: next }) } : {}),
  };
}

/**
 * Every stored request created in `[from, to)`, oldest first, a page at a
 * time through `byCreated`; for tools that walk the whole history.
 */
export async function* requestsCreated(
  range: { from?: string | undefined; to?: string | undefined } = {},
) {
  const plan: Plan = { index: 'byCreated', partition: 'REQUEST', rest: {} };
  const query = partitionQuery(plan, false, {
    ...(range.from !== undefined ? { from: range.from } : {}),
    ...(range.to !== undefined ? { to: range.to } : {}),
  });
  let start: PageKey | undefined;
  do {
    const { items, next } = await fillFromKeys(
      query,
      500,
      start,
      loaderFor(plan),
    );
    // BETWEEN includes `to`; ranges are half-open everywhere.
    const page = items
      .map(fromRequestItem)
      .filter(
        (request) => range.to === undefined || request.createdAt < range.to,
      );
    if (page.length > 0) yield page;
    start = next;
  } while (start !== undefined);
}
