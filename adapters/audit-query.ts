import { z } from 'zod';
import { AUDIT_EVENT_TYPES, type AuditEvent } from '../core/audit-chain.ts';
import { dayOf, principalKeyOf, toAuditEvent } from './audit-item.ts';
import { config } from './config.ts';
import {
  decodeToken,
  encodeToken,
  fillFromPartition,
  fingerprint,
  instantParam,
  type Page,
  type PageCursor,
  type PartitionQuery,
} from './pagination.ts';

/** The widest `from`..`to` a query may walk day by day. */
export const MAX_RANGE_DAYS = 366;

/**
 * Day partitions one call may walk before it answers with what it has.
 * A whole range fits: callers asking for a year should not have to page
 * through empty answers (an empty day costs one small query).
 */
const MAX_DAYS_PER_CALL = MAX_RANGE_DAYS;

const DAY_MS = 86_400_000;

/** The filters of `GET /audit`; `from` inclusive, `to` exclusive. */
export const auditFilterShape = {
  from: instantParam.optional(),
  to: instantParam.optional(),
  clusterName: z.string().min(1).max(100).optional(),
  principalArn: z.string().min(1).max(2048).optional(),
  actor: z.string().trim().toLowerCase().pipe(z.string().min(1)).optional(),
  type: z.enum(AUDIT_EVENT_TYPES).optional(),
};

const auditFilterObject = z.object(auditFilterShape);

/**
 * The rules across the filters: a query no index bounds needs `from` and
 * `to` at most {@link MAX_RANGE_DAYS} apart; `to` is after `from`. Only
 * one principal on one cluster has an index of its own: an actor is
 * filtered on while walking the days, so it needs the range too.
 */
export function checkAuditRange(
  query: AuditFilters,
  ctx: z.RefinementCtx,
): void {
  const indexed = planAuditQuery(query).index !== 'byDay';
  const unbounded = 'is required unless clusterName with principalArn is given';
  if (!indexed && query.from === undefined) {
    ctx.addIssue({ code: 'custom', path: ['from'], message: unbounded });
  }
  if (!indexed && query.to === undefined) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: unbounded });
  }
  if (query.from === undefined || query.to === undefined) return;
  const span = Date.parse(query.to) - Date.parse(query.from);
  if (span <= 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['to'],
      message: 'must be after from',
    });
  } else if (!indexed && span > MAX_RANGE_DAYS * DAY_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['to'],
      message: `must be at most ${MAX_RANGE_DAYS} days after from`,
    });
  }
}

/** The filters with their rules, for callers other than the API. */
export const auditFiltersSchema =
  auditFilterObject.superRefine(checkAuditRange);

export type AuditFilters = z.infer<typeof auditFilterObject>;

type AuditIndex = 'byPrincipal' | 'byDay';

const INDEX_KEYS: Record<AuditIndex, string> = {
  byPrincipal: 'principalKey',
  byDay: 'day',
};

interface Plan {
  index: AuditIndex;
  /** The partition, for the single-partition indexes. */
  partition?: string;
  /** Equality filters the index does not answer, by attribute. */
  rest: Record<string, string>;
}

/**
 * One principal on one cluster reads its own partition; anything else
 * walks the time range a day at a time. An actor index would cost a
 * write per event for a query the day walk answers within its range.
 */
export function planAuditQuery(filters: AuditFilters): Plan {
  const { clusterName, principalArn, actor, type } = filters;
  const rest: Record<string, string> = {};
  const keep = (name: string, value: string | undefined) => {
    if (value !== undefined) rest[name] = value;
  };
  keep('type', type);
  keep('actor', actor);
  if (clusterName !== undefined && principalArn !== undefined) {
    return {
      index: 'byPrincipal',
      partition: principalKeyOf({ clusterName, principalArn }),
      rest,
    };
  }
  keep('clusterName', clusterName);
  keep('principalArn', principalArn);
  return { index: 'byDay', rest };
}

function partitionQuery(
  plan: Plan,
  partition: string,
  range: { from?: string | undefined; to?: string | undefined },
): PartitionQuery {
  const pk = INDEX_KEYS[plan.index];
  const names: Record<string, string> = { '#pk': pk, '#at': 'atKey' };
  const values: Record<string, unknown> = { ':pk': partition };
  // atKey is `<at>#...`: it is >= from exactly when at >= from, and never
  // equals `to`, so BETWEEN from AND to selects from <= at < to.
  let keyCondition = '#pk = :pk';
  if (range.from !== undefined && range.to !== undefined) {
    keyCondition += ' AND #at BETWEEN :from AND :to';
  } else if (range.from !== undefined) {
    keyCondition += ' AND #at >= :from';
  } else if (range.to !== undefined) {
    keyCondition += ' AND #at < :to';
  } else {
    delete names['#at'];
  }
  if (range.from !== undefined) values[':from'] = range.from;
  if (range.to !== undefined) values[':to'] = range.to;
  const filters = Object.entries(plan.rest).map(([name, value], index) => {
    names[`#f${index}`] = name;
    values[`:f${index}`] = value;
    return `#f${index} = :f${index}`;
  });
  return {
    input: {
      TableName: config.auditTable(),
      IndexName: plan.index,
      KeyConditionExpression: keyCondition,
      ...(filters.length > 0
        ? { FilterExpression: filters.join(' AND ') }
        : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: true,
    },
    keyNames: ['requestId', 'seq', pk, 'atKey'],
  };
}

/** The UTC days from the one of `from` to the one of the last instant before `to`. */
function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  const last = dayOf(new Date(Date.parse(to) - 1).toISOString());
  for (let t = Date.parse(dayOf(from)); ; t += DAY_MS) {
    const day = dayOf(new Date(t).toISOString());
    days.push(day);
    if (day >= last) return days;
  }
}

/**
 * One page of `GET /audit`, oldest first. A query by principal reads one
 * partition; otherwise the day partitions of the range are
 * read in order until the page is full. A page may hold fewer than
 * `limit` events and still have a `nextToken` when many days were empty.
 *
 * @param filters - as {@link auditFiltersSchema} parsed them.
 * @throws ValidationError naming `nextToken` when the token was not made
 *   by this query.
 */
export async function queryAudit(
  filters: AuditFilters,
  paging: { limit: number; nextToken?: string | undefined },
): Promise<Page<AuditEvent>> {
  const plan = planAuditQuery(filters);
  const print = fingerprint({ list: 'audit', ...filters });
  const range = { from: filters.from, to: filters.to };
  const inRange = (atKey: unknown) =>
    typeof atKey === 'string' &&
    (range.from === undefined || atKey >= range.from) &&
    (range.to === undefined || atKey < range.to);

  if (plan.partition !== undefined) {
    const query = partitionQuery(plan, plan.partition, range);
    const pk = INDEX_KEYS[plan.index];
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
              inRange(key.atKey),
          ).key;
    const { items, next } = await fillFromPartition(query, paging.limit, start);
    return {
      items: items.map(toAuditEvent),
      ...(next ? { nextToken: encodeToken(print, { key: next }) } : {}),
    };
  }

  const { from, to } = range;
  if (from === undefined || to === undefined) {
    throw new Error('a query by day needs from and to');
  }
  const days = daysOf(from, to);
  let cursor: PageCursor = { day: days[0] as string };
  if (paging.nextToken !== undefined) {
    cursor = decodeToken(
      paging.nextToken,
      print,
      partitionQuery(plan, '', range).keyNames,
      ({ key, day }) =>
        day !== undefined &&
        days.includes(day) &&
        (key === undefined || (key.day === day && inRange(key.atKey))),
    );
  }
  const page = await walkDays(plan, { from, to }, days, cursor, paging.limit);
  return {
    items: page.items,
    ...(page.next ? { nextToken: encodeToken(print, page.next) } : {}),
  };
}

async function walkDays(
  plan: Plan,
  range: { from: string; to: string },
  days: string[],
  cursor: PageCursor,
  limit: number,
): Promise<{ items: AuditEvent[]; next?: PageCursor }> {
  const items: AuditEvent[] = [];
  const first = days.indexOf(cursor.day ?? '');
  for (let i = first; i < days.length; i++) {
    const day = days[i] as string;
    if (i - first >= MAX_DAYS_PER_CALL) return { items, next: { day } };
    const { items: found, next } = await fillFromPartition(
      partitionQuery(plan, day, range),
      limit - items.length,
      i === first ? cursor.key : undefined,
    );
    items.push(...found.map(toAuditEvent));
    if (next) return { items, next: { day, key: next } };
    const following = days[i + 1];
    if (items.length === limit) {
      return following === undefined
        ? { items }
        : { items, next: { day: following } };
    }
  }
  return { items };
}

/**
 * Every event of `[from, to)`, oldest first, a page at a time through the
 * `byDay` index, so an export of any size holds one page in memory.
 * `onDay` hears each day as it starts, for progress.
 */
export async function* auditEventsBetween(
  range: { from: string; to: string },
  options: {
    pageSize?: number;
    onDay?: (day: string, index: number, of: number) => void;
  } = {},
): AsyncGenerator<AuditEvent[]> {
  const plan: Plan = { index: 'byDay', rest: {} };
  const days = daysOf(range.from, range.to);
  for (const [index, day] of days.entries()) {
    options.onDay?.(day, index, days.length);
    let start: PageCursor['key'];
    do {
      const { items, next } = await fillFromPartition(
        partitionQuery(plan, day, range),
        options.pageSize ?? 1000,
        start,
      );
      if (items.length > 0) yield items.map(toAuditEvent);
      start = next;
    } while (start !== undefined);
  }
}
