import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  GetCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAuditItem } from '../../adapters/audit-item.ts';
import { documentClient } from '../../adapters/dynamo.ts';
import { toRequestItem } from '../../adapters/request-store.ts';
import { auditCommand, loadHistory } from '../../cli/audit.ts';
import {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  chainEvents,
  GENESIS_HASH,
  hashEvent,
} from '../../core/audit-chain.ts';
import {
  type ChangeRequest,
  lockIdFor,
  type StoredRequest,
} from '../../core/request.ts';
import type { Status } from '../../core/status.ts';
import type { LocalStack } from '../../local/stack.ts';
import { api, newPrincipal, startTestStack } from '../support/stack.ts';

const AUDITOR = 'auditor@example.com';
const ALICE = 'alice@example.com';
const REQUESTERS = [
  ALICE,
  'bob@example.com',
  'carol@example.com',
  'dave@example.com',
];
const CLUSTERS = ['demo', 'prod', 'stage'];
const STATUSES: Status[] = [
  'SUCCEEDED',
  'REJECTED',
  'EXPIRED',
  'CANCELLED',
  'FAILED',
  'REVERTED',
];
const REQUESTS = 250;
const EVENTS_PER_REQUEST = 40;
const START = Date.parse('2024-03-01T00:00:00.000Z');
const HOUR = 3_600_000;
const QUOTED = 'said "yes", then\nleft';

let stack: LocalStack;
let requests: StoredRequest[] = [];
/** Every synthetic event, oldest first (atKey order). */
let events: AuditEvent[] = [];
/** The one request made through the API, which also holds a lock item. */
let live: ChangeRequest;
let dir: string;

const roleArn = (n: number) => `arn:aws:iam::111122223333:role/team-${n}`;

/** Request `i` of the synthetic history and its chain of events. */
function synthetic(i: number): { request: StoredRequest; chain: AuditEvent[] } {
  const requestId = `01SYNTH${String(i).padStart(19, '0')}`;
  const createdAt = new Date(START + i * 4 * HOUR).toISOString();
  const requestedBy = REQUESTERS[i % 4] as string;
  const approver = i % 2 === 0 ? 'bob@example.com' : 'carol@example.com';
  const chain = chainEvents(
    { seq: 0, hash: GENESIS_HASH },
    Array.from({ length: EVENTS_PER_REQUEST }, (_, j) => ({
      requestId,
      type: AUDIT_EVENT_TYPES[
        j % AUDIT_EVENT_TYPES.length
      ] as AuditEvent['type'],
      actor: j % 3 === 0 ? requestedBy : j % 3 === 1 ? 'system' : approver,
      at: new Date(Date.parse(createdAt) + j * 3 * 60_000).toISOString(),
      details: j === 5 ? { n: j, note: QUOTED } : { n: j },
    })),
  );
  const head = chain.at(-1) as AuditEvent;
  const request: StoredRequest = {
    requestId,
    status: STATUSES[i % STATUSES.length] as Status,
    clusterName: CLUSTERS[i % 3] as string,
    principalArn: roleArn(i % 10),
    requestedBy,
    reason: `SYNTH-${i}`,
    before: {
      kubernetesGroups: ['viewers'],
      username: '',
      modifiedAt: createdAt,
    },
    after: { kubernetesGroups: ['viewers', 'deployers'], username: '' },
    approvalsRequired: i % 5 === 0 ? 0 : 1,
    approvals: [],
    createdAt,
    updatedAt: createdAt,
    auditSeq: head.seq,
    auditHash: head.hash,
    lockId: `lock#x#${i}`,
    executionAttempts: 0,
  };
  return { request, chain };
}

/**
 * Writes items with BatchWriteItem, a few batches at once, retrying what
 * DynamoDB leaves unprocessed. The items come from the production item
 * builders, so the indexes see exactly what the functions would write.
 */
async function batchWrite(table: string, items: object[]) {
  const batches: object[][] = [];
  for (let i = 0; i < items.length; i += 25)
    batches.push(items.slice(i, i + 25));
  const worker = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      let pending = batch.map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const result = await documentClient().send(
          new BatchWriteCommand({ RequestItems: { [table]: pending } }),
        );
        pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

type ListAnswer<T> = { items: T[]; nextToken?: string };

/** Every item of a listing, following nextToken; fails on any error. */
async function walk<T>(path: string, as = AUDITOR, limit = 100) {
  const pages: T[][] = [];
  let token: string | undefined;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const query = `${sep}limit=${limit}${token ? `&nextToken=${token}` : ''}`;
    const { status, body } = await api<ListAnswer<T>>(
      stack,
      'GET',
      `${path}${query}`,
      { as },
    );
    expect(status, JSON.stringify(body)).toBe(200);
    pages.push(body.items);
    token = body.nextToken;
  } while (token !== undefined);
  return { items: pages.flat(), pages };
}

const ids = (list: { requestId: string }[]) => list.map((r) => r.requestId);
const eventIds = (list: AuditEvent[]) =>
  list.map((e) => `${e.requestId}/${e.seq}`);
const newestFirst = (list: StoredRequest[]) =>
  [...list].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));

beforeAll(async () => {
  stack = await startTestStack();
  dir = await mkdtemp(join(tmpdir(), 'audit-export-'));
  const built = Array.from({ length: REQUESTS }, (_, i) => synthetic(i));
  requests = built.map((b) => b.request);
  events = built
    .flatMap((b) => b.chain)
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  await batchWrite(stack.tables.requests, requests.map(toRequestItem));
  await batchWrite(
    stack.tables.audit,
    built.flatMap((b) => b.chain.map((e) => toAuditItem(e, b.request))),
  );

  const principalArn = await newPrincipal(stack);
  const submitted = await api<ChangeRequest>(stack, 'POST', '/requests', {
    as: ALICE,
    body: {
      clusterName: 'demo',
      principalArn,
      kubernetesGroups: ['viewers', 'deployers'],
      reason: 'OPS-9 live request beside the history',
    },
  });
  expect(submitted.status).toBe(202);
  live = submitted.body;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('GET /requests', () => {
  it('lists every request newest first across pages, no duplicates, no gaps, no locks', async () => {
    const { items, pages } = await walk<ChangeRequest>('/requests');

    expect(ids(items)).toEqual([live.requestId, ...ids(newestFirst(requests))]);
    expect(pages.map((page) => page.length)).toEqual([100, 100, 51]);
    expect(items[1]).not.toHaveProperty('principalKey');
    expect(items[1]).not.toHaveProperty('auditHash');
  });

  it.each([
    ['status=REJECTED', (r: StoredRequest) => r.status === 'REJECTED'],
    [
      'requestedBy=Bob@Example.com',
      (r: StoredRequest) => r.requestedBy === 'bob@example.com',
    ],
    ['clusterName=prod', (r: StoredRequest) => r.clusterName === 'prod'],
    [
      `clusterName=stage&principalArn=${roleArn(5)}`,
      (r: StoredRequest) =>
        r.clusterName === 'stage' && r.principalArn === roleArn(5),
    ],
    [
      'clusterName=prod&status=FAILED',
      (r: StoredRequest) => r.clusterName === 'prod' && r.status === 'FAILED',
    ],
    [
      `principalArn=${roleArn(3)}&requestedBy=dave@example.com`,
      (r: StoredRequest) =>
        r.principalArn === roleArn(3) && r.requestedBy === 'dave@example.com',
    ],
  ])('filters by %s, newest first', async (query, keep) => {
    const { items } = await walk<ChangeRequest>(
      `/requests?${query.replace(/arn:[^&]+/, encodeURIComponent)}`,
      AUDITOR,
      20,
    );

    const expected = ids(newestFirst(requests.filter(keep)));
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(items)).toEqual(expected);
  });

  it('never shows the lock item that shares the table with the requests', async () => {
    const { items } = await walk<ChangeRequest>('/requests?clusterName=demo');

    const live_ = items.filter((r) => r.requestId === live.requestId);
    expect(live_).toHaveLength(1);
    expect(items).toHaveLength(
      requests.filter((r) => r.clusterName === 'demo').length + 1,
    );
  });

  it('keeps lock items out of every index of the requests table', async () => {
    const table = stack.tables.requests;
    const lockId = lockIdFor(live.clusterName, live.principalArn);
    const { Table } = await documentClient().send(
      new DescribeTableCommand({ TableName: table }),
    );
    const indexes = (Table?.GlobalSecondaryIndexes ?? []).map(
      (gsi) => gsi.IndexName as string,
    );
    const idsIn = async (index: string) => {
      const found: string[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documentClient().send(
          new ScanCommand({
            TableName: table,
            IndexName: index,
            ExclusiveStartKey: start,
          }),
        );
        found.push(...(page.Items ?? []).map((item) => String(item.id)));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return found;
    };

    const lock = await documentClient().send(
      new GetCommand({ TableName: table, Key: { id: lockId } }),
    );
    const byIndex = await Promise.all(indexes.map(idsIn));

    expect(lock.Item?.requestId).toBe(live.requestId);
    expect(indexes.sort()).toEqual([
      'byCluster',
      'byCreated',
      'byPrincipal',
      'byRequester',
    ]);
    for (const found of byIndex) {
      expect(found).toContain(live.requestId);
      expect(found.filter((id) => id.startsWith('lock#'))).toEqual([]);
    }
  });

  it('fills every page of a status filter but the last, newest first', async () => {
    const failed = newestFirst(requests.filter((r) => r.status === 'FAILED'));

    const { items, pages } = await walk<ChangeRequest>(
      '/requests?status=FAILED',
      AUDITOR,
      7,
    );

    expect(ids(items)).toEqual(ids(failed));
    expect(pages.slice(0, -1).every((page) => page.length === 7)).toBe(true);
    expect(pages.length).toBe(Math.ceil(failed.length / 7));
  });

  it('answers 50 items by default and 100 at most', async () => {
    const byDefault = await api<ListAnswer<ChangeRequest>>(
      stack,
      'GET',
      '/requests',
      { as: AUDITOR },
    );
    const most = await api<ListAnswer<ChangeRequest>>(
      stack,
      'GET',
      '/requests?limit=100',
      { as: AUDITOR },
    );

    expect(byDefault.body.items).toHaveLength(50);
    expect(typeof byDefault.body.nextToken).toBe('string');
    expect(most.body.items).toHaveLength(100);
  });

  it.each(['0', '101', 'ten', '1.5', '-3', ''])(
    'refuses limit=%s with 400 naming limit',
    async (limit) => {
      const { status, body } = await api(
        stack,
        'GET',
        `/requests?limit=${limit}`,
        { as: AUDITOR },
      );

      expect(status).toBe(400);
      expect(body).toMatchObject({
        error: {
          code: 'ValidationError',
          issues: [
            { path: 'limit', message: 'must be a whole number from 1 to 100' },
          ],
        },
      });
    },
  );

  it('refuses a garbage, tampered or foreign nextToken with 400 naming nextToken', async () => {
    const first = await api<ListAnswer<ChangeRequest>>(
      stack,
      'GET',
      '/requests?status=REJECTED&limit=5',
      {
        as: AUDITOR,
      },
    );
    const token = String(first.body.nextToken);
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString());
    const tampered = Buffer.from(
      JSON.stringify({ ...decoded, k: { ...decoded.k, status: 'SUCCEEDED' } }),
    ).toString('base64url');

    const answers = await Promise.all(
      [
        '/requests?nextToken=garbage!!',
        `/requests?nextToken=${Buffer.from('{"v":1}').toString('base64url')}`,
        `/requests?status=SUCCEEDED&nextToken=${token}`,
        `/requests?status=REJECTED&nextToken=${tampered}`,
      ].map((path) => api(stack, 'GET', path, { as: AUDITOR })),
    );

    for (const { status, body } of answers) {
      expect(status).toBe(400);
      expect(body).toMatchObject({
        error: { issues: [{ path: 'nextToken' }] },
      });
    }
    const resumed = await api<ListAnswer<ChangeRequest>>(
      stack,
      'GET',
      `/requests?status=REJECTED&limit=5&nextToken=${token}`,
      { as: AUDITOR },
    );
    expect(resumed.status).toBe(200);
  });

  it('lets anyone list their own requests and nobody else list all', async () => {
    const own = await walk<ChangeRequest>(
      `/requests?requestedBy=${ALICE}`,
      ALICE,
    );
    const all = await api(stack, 'GET', '/requests', { as: ALICE });
    const others = await api(
      stack,
      'GET',
      '/requests?requestedBy=bob@example.com',
      { as: ALICE },
    );

    expect(new Set(own.items.map((r) => r.requestedBy))).toEqual(
      new Set([ALICE]),
    );
    expect(own.items).toHaveLength(
      requests.filter((r) => r.requestedBy === ALICE).length + 1,
    );
    expect(all.status).toBe(403);
    expect(others.status).toBe(403);
    expect(others.body).toMatchObject({ error: { code: 'PolicyDenied' } });
  });

  it('refuses an unknown query parameter rather than ignore it', async () => {
    const { status, body } = await api(stack, 'GET', '/requests?principal=x', {
      as: AUDITOR,
    });

    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { issues: [{ path: 'principal' }] } });
  });
});

describe('GET /audit', () => {
  const inRange = (from: string, to: string) => (e: AuditEvent) =>
    e.at >= from && e.at < to;

  it('walks the days of a range oldest first, pages never overlapping', async () => {
    const from = '2024-03-03T10:00:00.000Z';
    const to = '2024-03-07T10:00:00.000Z';

    const { items, pages } = await walk<AuditEvent>(
      `/audit?from=${from}&to=${to}`,
      AUDITOR,
      37,
    );

    expect(eventIds(items)).toEqual(eventIds(events.filter(inRange(from, to))));
    expect(pages.slice(0, -1).every((page) => page.length === 37)).toBe(true);
    expect(items[0]).toEqual(events.find(inRange(from, to)));
  });

  it.each([
    [
      'type=APPROVED&from=2024-03-08&to=2024-03-22',
      (e: AuditEvent) =>
        e.type === 'APPROVED' && inRange('2024-03-08', '2024-03-22')(e),
    ],
    [
      // A whole year: the day walk spans all of the history.
      'actor=Dave@example.com&from=2024-01-01&to=2024-12-31',
      (e: AuditEvent) => e.actor === 'dave@example.com',
    ],
    [
      'actor=dave@example.com&from=2024-04-05T00:00:00Z&to=2024-05-01',
      (e: AuditEvent) => e.actor === 'dave@example.com' && e.at >= '2024-04-05',
    ],
    [
      'actor=system&clusterName=demo&from=2024-03-01&to=2024-03-04T00:00:00%2B01:00',
      (e: AuditEvent) =>
        e.actor === 'system' &&
        requestOf(e).clusterName === 'demo' &&
        e.at < '2024-03-03T23:00:00.000Z',
    ],
    [
      // One principal's partition bounds it: no range needed.
      `actor=carol@example.com&clusterName=prod&principalArn=${encodeURIComponent(roleArn(1))}`,
      (e: AuditEvent) =>
        e.actor === 'carol@example.com' &&
        requestOf(e).clusterName === 'prod' &&
        requestOf(e).principalArn === roleArn(1),
    ],
    [
      'clusterName=stage&type=REVERTED&from=2024-03-10&to=2024-03-20',
      (e: AuditEvent) =>
        requestOf(e).clusterName === 'stage' &&
        e.type === 'REVERTED' &&
        inRange('2024-03-10', '2024-03-20')(e),
    ],
    [
      `principalArn=${encodeURIComponent(roleArn(7))}&from=2024-03-01&to=2024-03-11`,
      (e: AuditEvent) =>
        requestOf(e).principalArn === roleArn(7) && e.at < '2024-03-11',
    ],
  ])('filters by %s, oldest first', async (query, keep) => {
    const { items } = await walk<AuditEvent>(`/audit?${query}`);

    const expected = eventIds(events.filter(keep));
    expect(expected.length).toBeGreaterThan(0);
    expect(eventIds(items)).toEqual(expected);
  });

  it('finds every change to one principal in a time range, as a security engineer would', async () => {
    const from = '2024-03-05T00:00:00Z';
    const to = '2024-03-25T00:00:00Z';
    const principalArn = encodeURIComponent(roleArn(4));

    const { items } = await walk<AuditEvent>(
      `/audit?clusterName=prod&principalArn=${principalArn}&from=${from}&to=${to}`,
      AUDITOR,
      25,
    );

    const mine = events.filter(
      (e) =>
        requestOf(e).clusterName === 'prod' &&
        requestOf(e).principalArn === roleArn(4) &&
        inRange('2024-03-05', '2024-03-25')(e),
    );
    expect(mine.length).toBeGreaterThan(25);
    expect(items).toEqual(mine);
    expect(Object.keys(items[0] ?? {}).sort()).toEqual([
      'actor',
      'at',
      'details',
      'hash',
      'prevHash',
      'requestId',
      'seq',
      'type',
    ]);
    expect(items.every((e) => hashEvent(e) === e.hash)).toBe(true);
  });

  it.each([
    ['', ['from', 'to']],
    ['actor=dave@example.com', ['from', 'to']],
    ['actor=dave@example.com&from=2024-03-01', ['to']],
    ['actor=system&from=2024-01-01&to=2025-01-02', ['to']],
    ['from=2024-03-01', ['to']],
    ['from=2024-03-02&to=2024-03-01', ['to']],
    ['from=2024-01-01&to=2025-01-02', ['to']],
    ['from=2024-02-30&to=2024-03-02', ['from']],
    ['from=yesterday&to=2024-03-02', ['from']],
    ['from=2024-03-01&to=2024-03-02&type=DELETED', ['type']],
    ['from=2024-03-01&to=2024-03-02&limit=500', ['limit']],
  ])('refuses %s with 400 naming %s', async (query, fields) => {
    const { status, body } = await api<{
      error: { issues: { path: string }[] };
    }>(stack, 'GET', `/audit?${query}`, { as: AUDITOR });

    expect(status).toBe(400);
    expect(body.error.issues.map((issue) => issue.path)).toEqual(fields);
  });

  it('refuses a token moved outside its range or made by another query', async () => {
    const base = '/audit?from=2024-03-03&to=2024-03-05&limit=10';
    const first = await api<ListAnswer<AuditEvent>>(stack, 'GET', base, {
      as: AUDITOR,
    });
    const token = String(first.body.nextToken);
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString());
    const moved = Buffer.from(
      JSON.stringify({ ...decoded, d: '2024-03-09' }),
    ).toString('base64url');

    const outside = await api(stack, 'GET', `${base}&nextToken=${moved}`, {
      as: AUDITOR,
    });
    const foreign = await api(
      stack,
      'GET',
      `/audit?from=2024-03-03&to=2024-03-06&nextToken=${token}`,
      {
        as: AUDITOR,
      },
    );
    const resumed = await api<ListAnswer<AuditEvent>>(
      stack,
      'GET',
      `${base}&nextToken=${token}`,
      { as: AUDITOR },
    );

    expect(outside.status).toBe(400);
    expect(foreign.status).toBe(400);
    expect(outside.body).toMatchObject({
      error: { issues: [{ path: 'nextToken' }] },
    });
    expect(eventIds(resumed.body.items)).toEqual(
      eventIds(
        events.filter(inRange('2024-03-03', '2024-03-05')).slice(10, 20),
      ),
    );
  });

  it('is for auditors only: requesters and approvers get 403', async () => {
    const query = '/audit?from=2024-03-01&to=2024-03-02';
    const answers = await Promise.all(
      [ALICE, 'bob@example.com'].map((as) => api(stack, 'GET', query, { as })),
    );

    expect(answers.map((a) => a.status)).toEqual([403, 403]);
    expect(answers[0]?.body).toMatchObject({ error: { code: 'PolicyDenied' } });
  });
});

function requestOf(event: AuditEvent): StoredRequest {
  return requests[Number(event.requestId.slice(7))] as StoredRequest;
}

function capture(isTTY = false) {
  let text = '';
  return {
    stream: {
      isTTY,
      write: (chunk: string) => {
        text += chunk;
        return true;
      },
      once: () => undefined,
    },
    text: () => text,
  };
}

/** A minimal RFC 4180 reader: enough to check the export round-trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  return rows;
}

describe('audit export', () => {
  const range = ['--from', '2024-03-01', '--to', '2024-04-15'];

  it('exports 10,000 events as JSON lines, in time order, with the count', async () => {
    const out = join(dir, 'audit.jsonl');
    const err = capture();

    const code = await auditCommand(['export', ...range, '--out', out], {
      stderr: err.stream,
    });

    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
    expect(code).toBe(0);
    expect(events).toHaveLength(10_000);
    expect(lines).toHaveLength(10_000);
    for (const index of [0, 1, 4_321, 9_999]) {
      const line = JSON.parse(lines[index] as string) as AuditEvent;
      expect(line).toEqual(events[index]);
      expect(hashEvent(line)).toBe(line.hash);
    }
    expect(err.text()).toBe(
      `Exported 10000 events from 2024-03-01T00:00:00.000Z to 2024-04-15T00:00:00.000Z to ${out}.\n`,
    );
  });

  it('exports CSV with a header, quoting, and details as JSON in one column', async () => {
    const out = join(dir, 'audit.csv');

    const code = await auditCommand(
      ['export', ...range, '--format', 'csv', '--out', out],
      {
        stderr: capture().stream,
      },
    );

    const rows = parseCsv(await readFile(out, 'utf8'));
    expect(code).toBe(0);
    expect(rows).toHaveLength(10_001);
    expect(rows[0]).toEqual([
      'requestId',
      'seq',
      'type',
      'actor',
      'at',
      'details',
      'prevHash',
      'hash',
    ]);
    const quotedIndex = events.findIndex((e) => e.details.note === QUOTED);
    for (const index of [0, quotedIndex, 9_999]) {
      const [requestId, seq, type, actor, at, details, prevHash, hash] = rows[
        index + 1
      ] as string[];
      const event = {
        requestId,
        seq: Number(seq),
        type,
        actor,
        at,
        details: JSON.parse(details as string),
        prevHash,
        hash,
      };
      expect(event).toEqual(events[index]);
    }
  });

  it('draws progress on a terminal only', async () => {
    const tty = capture(true);
    const pipe = capture(false);
    const stdout = capture();

    await auditCommand(
      ['export', '--from', '2024-03-01', '--to', '2024-03-03'],
      {
        stdout: stdout.stream,
        stderr: tty.stream,
      },
    );
    await auditCommand(
      ['export', '--from', '2024-03-01', '--to', '2024-03-03'],
      {
        stdout: capture().stream,
        stderr: pipe.stream,
      },
    );

    expect(tty.text()).toMatch(
      /\r\[#{30}\] day 2\/2 2024-03-02 {2}\d+ events\n/,
    );
    expect(pipe.text()).not.toContain('\r');
    expect(stdout.text().trimEnd().split('\n')).toHaveLength(
      events.filter(inRangeOf('2024-03-01', '2024-03-03')).length,
    );
  });

  it('refuses an export without --to, with exit 2', async () => {
    const err = capture();

    const code = await auditCommand(['export', '--from', '2024-03-01'], {
      stderr: err.stream,
    });

    expect(code).toBe(2);
    expect(err.text()).toContain('--to is required');
  });
});

function inRangeOf(from: string, to: string) {
  return (e: AuditEvent) => e.at >= from && e.at < to;
}

describe('policy simulate history', () => {
  it('loads the requests created in a range with their recorded decisions', async () => {
    const history = await loadHistory({ from: '2024-03-02', to: '2024-03-04' });

    const expected = requests.filter(
      (r) => r.createdAt >= '2024-03-02' && r.createdAt < '2024-03-04',
    );
    expect(history.map((h) => h.requestId)).toEqual(ids(expected));
    expect(history[0]).toMatchObject({
      facts: {
        clusterName: expected[0]?.clusterName,
        groupsAdded: ['deployers'],
      },
      decision: {
        allowed: true,
        approvalsRequired: expected[0]?.approvalsRequired,
        autoApproved: expected[0]?.approvalsRequired === 0,
      },
    });
  });
});
