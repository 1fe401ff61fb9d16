import { createHash } from 'node:crypto';
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { canonicalJson } from '../core/audit-chain.ts';
import { ValidationError } from '../core/errors.ts';
import { documentClient } from './dynamo.ts';

/** The most items one page of a list may hold. */
export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 50;

/** A DynamoDB key as pagination hands it around. */
export type PageKey = Record<string, string | number>;

/** Where the next page starts. */
export interface PageCursor {
  /** The day partition of a day-walking query. */
  day?: string;
  /** The query's LastEvaluatedKey, or the key of the last item shown. */
  key?: PageKey;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

const limitMessage = `must be a whole number from 1 to ${MAX_LIMIT}`;

/** `limit` as a query parameter: 1..100, 50 when absent. */
export const limitParam = z
  .string()
  .regex(/^\d{1,4}$/, limitMessage)
  .transform(Number)
  .pipe(z.number().int().min(1, limitMessage).max(MAX_LIMIT, limitMessage))
  .default(DEFAULT_LIMIT);

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Whether `text` is an ISO-8601 date or date-time with an offset that
 * names a real day (`Date` would roll 2025-02-30 over into March).
 */
export function isIsoInstant(text: string): boolean {
  const match = ISO_INSTANT.exec(text);
  if (!match || Number.isNaN(Date.parse(text))) return false;
  const [year, month, day] = match.slice(1, 4).map(Number) as [
    number,
    number,
    number,
  ];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  return calendar.getUTCMonth() === month - 1 && calendar.getUTCDate() === day;
}

/**
 * An ISO-8601 instant, normalized to `toISOString` form (UTC,
 * milliseconds) so it compares as a string with the stored timestamps.
 */
export const instantParam = z
  .string()
  .refine(
    isIsoInstant,
    'must be an ISO-8601 date or date-time with an offset, ' +
      'e.g. 2025-01-31 or 2025-01-31T12:00:00Z',
  )
  .transform((text) => new Date(text).toISOString());

/**
 * Ties a token to the query it was made for, so it cannot be replayed
 * against other filters (say, another requester's own requests).
 */
export function fingerprint(query: object): string {
  return createHash('sha256')
    .update(canonicalJson(query))
    .digest('base64url')
    .slice(0, 16);
}

const tokenSchema = z.strictObject({
  v: z.literal(1),
  f: z.string(),
  d: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  k: z
    .record(z.string(), z.union([z.string().max(4096), z.number()]))
    .optional(),
});

/** An opaque `nextToken`: base64url JSON of the cursor and query. */
export function encodeToken(print: string, cursor: PageCursor): string {
  const body = {
    v: 1,
    f: print,
    ...(cursor.day ? { d: cursor.day } : {}),
    ...(cursor.key ? { k: cursor.key } : {}),
  };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function badToken(rule: string): ValidationError {
  return new ValidationError(
    [{ path: 'nextToken', message: rule }],
    `Invalid nextToken: ${rule}`,
  );
}

/**
 * Reads a `nextToken` back. It must decode, be made for this very query,
 * and carry a key of exactly `keyNames` that `accept` agrees lies inside
 * the query; anything else is a 400 naming `nextToken`.
 */
export function decodeToken(
  token: string,
  print: string,
  keyNames: readonly string[],
  accept: (cursor: PageCursor) => boolean,
): PageCursor {
  const rule = 'is not a token this query returned';
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(token)) throw badToken(rule);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badToken(rule);
  }
  const parsed = tokenSchema.safeParse(raw);
  if (!parsed.success || parsed.data.f !== print) throw badToken(rule);
  const { d, k } = parsed.data;
  if (k !== undefined) {
    const names = Object.keys(k).sort();
    const expected = [...new Set(keyNames)].sort();
    if (names.join('\n') !== expected.join('\n')) throw badToken(rule);
  }
  const cursor: PageCursor = {
    ...(d !== undefined ? { day: d } : {}),
    ...(k !== undefined ? { key: k } : {}),
  };
  if (!accept(cursor)) throw badToken(rule);
  return cursor;
}

/** A query on one partition of an index. */
export interface PartitionQuery {
  input: Omit<QueryCommandInput, 'Limit' | 'ExclusiveStartKey'>;
  /** Table and index key attributes: what a start key is made of. */
  keyNames: readonly string[];
}

/**
 * Reads up to `limit` items from one partition, from `startKey` on,
 * querying as often as a FilterExpression makes necessary. Returns where
 * the next page starts when there may be more; when the partition ends
 * exactly at the limit, there is no next page.
 */
export async function fillFromPartition(
  query: PartitionQuery,
  limit: number,
  startKey?: PageKey,
): Promise<{ items: Record<string, unknown>[]; next?: PageKey }> {
  const items: Record<string, unknown>[] = [];
  const filtered = query.input.FilterExpression !== undefined;
  let start = startKey;
  let reads = 0;
  for (;;) {
    const remaining = limit - items.length;
    // One item more than needed tells whether another page exists. A
    // filter may drop most of what is read: read more, and more again
    // while it keeps dropping, but not so much that a page wastes it.
    const filteredLimit = Math.min(1000, 200 * 2 ** reads++);
    const page = await documentClient().send(
      new QueryCommand({
        ...query.input,
        Limit: filtered
          ? Math.max(remaining + 1, filteredLimit)
          : remaining + 1,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      if (items.length === limit) {
        return { items, next: keyOf(items.at(-1) ?? {}, query.keyNames) };
      }
      items.push(item);
    }
    if (page.LastEvaluatedKey === undefined) return { items };
    start = page.LastEvaluatedKey as PageKey;
    if (items.length === limit) return { items, next: start };
  }
}

/** How {@link fillFromKeys} turns index keys into the items shown. */
export interface KeyLoader {
  /** The items of `keys`, in their order; at most `batch` keys a call. */
  fetch(keys: Record<string, unknown>[]): Promise<Record<string, unknown>[]>;
  batch: number;
  /** Whether an item belongs on the page. */
  keep(item: Record<string, unknown>): boolean;
  /** Whether `keep` drops more than the odd stray item. */
  filtered: boolean;
}

/**
 * {@link fillFromPartition} for a keys-only index: reads keys, fetches
 * their items only as far as the page needs, and keeps those `keep`
 * accepts, reading on until the page is full or the partition ends.
 * Resumes after the last item shown. Unfiltered, there is a next page
 * exactly when one more key exists; filtered, when the page filled up
 * before the keys read ran out, so the last page may come back empty.
 */
export async function fillFromKeys(
  query: PartitionQuery,
  limit: number,
  startKey: PageKey | undefined,
  loader: KeyLoader,
): Promise<{ items: Record<string, unknown>[]; next?: PageKey }> {
  const items: Record<string, unknown>[] = [];
  const resume = () => ({
    items,
    next: keyOf(items.at(-1) ?? {}, query.keyNames),
  });
  let start = startKey;
  let reads = 0;
  for (;;) {
    const remaining = limit - items.length;
    // Keys are small: read many while the filter drops items, but fetch
    // only as many items as the page may still take.
    const page = await documentClient().send(
      new QueryCommand({
        ...query.input,
        Limit: loader.filtered
          ? Math.max(remaining + 1, Math.min(1000, 200 * 2 ** reads++))
          : remaining + 1,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const keys = page.Items ?? [];
    for (let used = 0; used < keys.length; ) {
      if (items.length === limit) return resume();
      const size = loader.filtered
        ? loader.batch
        : Math.min(loader.batch, limit - items.length);
      const batch = keys.slice(used, used + size);
      used += batch.length;
      for (const item of await loader.fetch(batch)) {
        if (!loader.keep(item)) continue;
        // A match beyond the page: there is a next page for certain.
        if (items.length === limit) return resume();
        items.push(item);
      }
    }
    if (page.LastEvaluatedKey === undefined) return { items };
    start = page.LastEvaluatedKey as PageKey;
    if (items.length === limit) return { items, next: start };
  }
}

/** The start key that resumes a query right after `item`. */
export function keyOf(
  item: Record<string, unknown>,
  keyNames: readonly string[],
): PageKey {
  const key: PageKey = {};
  for (const name of keyNames) key[name] = item[name] as string | number;
  return key;
}
