import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  type AuditEvent,
  chainEvents,
  type EventDraft,
  GENESIS_HASH,
} from '../core/audit-chain.ts';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import type { StoredRequest } from '../core/request.ts';
import { isTerminal, type Status } from '../core/status.ts';
import {
  type EventSubject,
  principalKeyOf,
  toAuditEvent,
  toAuditItem,
} from './audit-item.ts';
import { config } from './config.ts';
import { documentClient } from './dynamo.ts';

type TransactItem = NonNullable<
  TransactWriteCommandInput['TransactItems']
>[number];

export type { EventDraft } from '../core/audit-chain.ts';

/**
 * Stores a new request, its first audit events and the lock on its
 * cluster and principal in one transaction: either all land or none.
 * Throws `ConflictError` naming the open request when the lock is held.
 */
export async function createRequest(
  request: Omit<StoredRequest, 'auditSeq' | 'auditHash'>,
  drafts: EventDraft[],
): Promise<{ request: StoredRequest; events: AuditEvent[] }> {
  const events = chainEvents(
    { seq: 0, hash: GENESIS_HASH },
    drafts.map((draft) =>
      eventFields(request.requestId, draft, request.createdAt),
    ),
  );
  const head = events.at(-1);
  const stored: StoredRequest = {
    ...request,
    auditSeq: head?.seq ?? 0,
    auditHash: head?.hash ?? GENESIS_HASH,
  };
  const items: TransactItem[] = [
    {
      Put: {
        TableName: config.requestsTable(),
        Item: lockItem(request),
        ConditionExpression: 'attribute_not_exists(id)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    {
      Put: {
        TableName: config.requestsTable(),
        Item: toRequestItem(stored),
        ConditionExpression: 'attribute_not_exists(id)',
      },
    },
    ...events.map((event) => auditPut(event, request)),
  ];

  try {
    await documentClient().send(
      new TransactWriteCommand({ TransactItems: items }),
    );
  } catch (error) {
    const held = lockHolder(error);
    if (held !== undefined) {
      throw new ConflictError(
        `Request ${held} is already open for this cluster and principal`,
        { openRequestId: held },
      );
    }
    throw error;
  }
  return { request: stored, events };
}

/**
 * The lock on a cluster and principal, held by the open request. It
 * carries no attribute any index keys on (`kind`, `createdAt`,
 * `clusterName`, ...): an index entry would cost a write when the lock is
 * taken and another when it is released, and lists would have to filter
 * it out. `requestId` names the holder in the conflict message; the
 * `locked*` fields are for whoever reads the table.
 */
export function lockItem(
  request: Pick<
    StoredRequest,
    'lockId' | 'requestId' | 'clusterName' | 'principalArn' | 'createdAt'
  >,
) {
  return {
    id: request.lockId,
    requestId: request.requestId,
    lockedCluster: request.clusterName,
    lockedPrincipal: request.principalArn,
    lockedAt: request.createdAt,
  };
}

function lockHolder(error: unknown): string | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  const reason = error.CancellationReasons?.[0];
  if (reason?.Code !== 'ConditionalCheckFailed') return undefined;
  const item = reason.Item as { requestId?: { S?: string } } | undefined;
  return item?.requestId?.S ?? 'unknown';
}

/** Attributes the requests table's indexes need beside the request's. */
const REQUEST_INDEX_ATTRIBUTES = ['principalKey'] as const;

/**
 * The item a request is stored as: the request, its key and kind, and
 * the `principalKey` its `byPrincipal` index is keyed on.
 */
export function toRequestItem(request: StoredRequest) {
  return {
    id: request.requestId,
    kind: 'REQUEST' as const,
    principalKey: principalKeyOf(request),
    ...request,
  };
}

/** The request an item holds, without its index attributes. */
export function fromRequestItem(item: Record<string, unknown>): StoredRequest {
  const copy = { ...item };
  for (const name of REQUEST_INDEX_ATTRIBUTES) delete copy[name];
  return copy as unknown as StoredRequest;
}

/** Reads one request, or undefined. Strongly consistent. */
export async function findRequest(
  requestId: string,
): Promise<StoredRequest | undefined> {
  const { Item } = await documentClient().send(
    new GetCommand({
      TableName: config.requestsTable(),
      Key: { id: requestId },
      ConsistentRead: true,
    }),
  );
  return Item?.kind === 'REQUEST' ? fromRequestItem(Item) : undefined;
}

/** Reads one request or throws `NotFoundError`. */
export async function getRequest(requestId: string): Promise<StoredRequest> {
  const found = await findRequest(requestId);
  if (found === undefined) {
    throw new NotFoundError(`No request ${requestId}`, { requestId });
  }
  return found;
}

/** What a transition writes: fields to set, events to append. */
export interface TransitionPlan {
  status?: Status;
  set?: Partial<StoredRequest>;
  /** Attributes to remove from the request item. */
  remove?: (keyof StoredRequest)[];
  events: EventDraft[];
}

/** Thrown by a plan builder to refuse a transition; nothing is written. */
export class TransitionRefused extends Error {
  constructor(
    readonly current: StoredRequest,
    message: string,
  ) {
    super(message);
    this.name = 'TransitionRefused';
  }
}

const MAX_TRANSITION_TRIES = 8;

/**
 * Changes a request and appends its audit events atomically. The plan is
 * built from the request as last read; the write is conditional on the
 * audit head not having moved, so two writers racing (two approvers
 * clicking at once) cannot fork the chain: the loser re-reads and rebuilds
 * its plan from the winner's result.
 */
export async function transition(
  requestId: string,
  plan: (current: StoredRequest) => TransitionPlan,
  now: () => Date = () => new Date(),
): Promise<{ request: StoredRequest; events: AuditEvent[] }> {
  for (let attempt = 1; ; attempt++) {
    const current = await getRequest(requestId);
    const planned = plan(current);
    const at = now().toISOString();
    const events = chainEvents(
      { seq: current.auditSeq, hash: current.auditHash },
      planned.events.map((draft) => eventFields(requestId, draft, at)),
    );
    const head = events.at(-1) ?? {
      seq: current.auditSeq,
      hash: current.auditHash,
    };
    const set: Record<string, unknown> = {
      ...planned.set,
      ...(planned.status ? { status: planned.status } : {}),
      updatedAt: at,
      auditSeq: head.seq,
      auditHash: head.hash,
    };
    try {
      await documentClient().send(
        new TransactWriteCommand({
          TransactItems: [
            updateRequest(current, set, planned.remove ?? []),
            ...events.map((event) => auditPut(event, current)),
            ...(closes(current, planned.status) ? [releaseLock(current)] : []),
          ],
        }),
      );
      const updated = { ...current, ...set } as StoredRequest;
      for (const field of planned.remove ?? []) delete updated[field];
      return { request: updated, events };
    } catch (error) {
      const raced =
        error instanceof TransactionCanceledException ||
        error instanceof ConditionalCheckFailedException;
      if (!raced || attempt >= MAX_TRANSITION_TRIES) throw error;
    }
  }
}

function updateRequest(
  current: StoredRequest,
  set: Record<string, unknown>,
  remove: readonly string[],
): TransactItem {
  const names: Record<string, string> = { '#seq': 'auditSeq' };
  const values: Record<string, unknown> = { ':seq': current.auditSeq };
  const assignments = Object.entries(set).map(([field, value], index) => {
    names[`#f${index}`] = field;
    values[`:v${index}`] = value;
    return `#f${index} = :v${index}`;
  });
  const removals = remove.map((field, index) => {
    names[`#r${index}`] = field;
    return `#r${index}`;
  });
  const update = [
    `SET ${assignments.join(', ')}`,
    removals.length > 0 ? `REMOVE ${removals.join(', ')}` : '',
  ].join(' ');
  return {
    Update: {
      TableName: config.requestsTable(),
      Key: { id: current.requestId },
      UpdateExpression: update.trim(),
      // The audit head is the request's version: nobody wrote in between.
      ConditionExpression: '#seq = :seq',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/**
 * The lock on a cluster and principal is released by the transition that
 * ends its request: a terminal status, or for a time-bound change the
 * revert, never the SUCCEEDED before it.
 */
function closes(current: StoredRequest, status: Status | undefined) {
  if (status === undefined) return false;
  return isTerminal(status, current.durationMinutes !== undefined);
}

function releaseLock(current: StoredRequest): TransactItem {
  return {
    Delete: {
      TableName: config.requestsTable(),
      Key: { id: current.lockId },
      // Never release a lock another request has since taken.
      ConditionExpression: 'attribute_not_exists(id) OR requestId = :id',
      ExpressionAttributeValues: { ':id': current.requestId },
    },
  };
}

function auditPut(event: AuditEvent, subject: EventSubject): TransactItem {
  return {
    Put: {
      TableName: config.auditTable(),
      Item: toAuditItem(event, subject),
      // Append-only: an event, once written, is never replaced.
      ConditionExpression: 'attribute_not_exists(requestId)',
    },
  };
}

function eventFields(requestId: string, draft: EventDraft, at: string) {
  return { requestId, at, ...draft };
}

/**
 * Every audit event of a request, in `seq` order, as CONTRACT.md shapes
 * it: the index attributes of the stored items are left behind.
 */
export async function listAudit(requestId: string): Promise<AuditEvent[]> {
  const items = await listAuditItems(requestId);
  return items.map(toAuditEvent);
}

/** Every stored audit item of a request, as stored, in `seq` order. */
export async function listAuditItems(
  requestId: string,
): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: config.auditTable(),
        KeyConditionExpression: 'requestId = :id',
        ExpressionAttributeValues: { ':id': requestId },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    events.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return events;
}
