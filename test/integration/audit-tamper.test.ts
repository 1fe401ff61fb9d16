import {
  type AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAuditItem } from '../../adapters/audit-item.ts';
import { auditCommand } from '../../cli/audit.ts';
import { type AuditEvent, nextEvent } from '../../core/audit-chain.ts';
import type { LocalStack } from '../../local/stack.ts';
import {
  api,
  newPrincipal,
  startTestStack,
  waitForApprovalMessage,
} from '../support/stack.ts';

const AUDITOR = 'auditor@example.com';
const REQUESTER = 'alice@example.com';

let stack: LocalStack;
let ddb: DynamoDBClient;

/** Each case tampers with a request of its own. */
const CASES = [
  'untouched',
  'edited',
  'deleted',
  'swapped',
  'inserted',
  'truncated',
  'reindexed',
] as const;
const ids = {} as Record<(typeof CASES)[number], string>;
const principals = {} as Record<(typeof CASES)[number], string>;

/**
 * A real request through the HTTP API and the workflow: submitted,
 * approval requested, cancelled; four events.
 */
async function cancelledRequest(principalArn: string): Promise<string> {
  const submitted = await api(stack, 'POST', '/requests', {
    as: REQUESTER,
    body: {
      clusterName: 'demo',
      principalArn,
      kubernetesGroups: ['viewers', 'deployers'],
      reason: 'SEC-77 chain under test',
    },
  });
  expect(submitted.status).toBe(202);
  const requestId = String(submitted.body.requestId);
  await waitForApprovalMessage(stack, requestId);
  const cancelled = await api(stack, 'POST', `/requests/${requestId}/cancel`, {
    as: REQUESTER,
  });
  expect(cancelled.status).toBe(200);
  return requestId;
}

function auditKey(requestId: string, seq: number) {
  return { requestId: { S: requestId }, seq: { N: String(seq) } };
}

async function rawEvent(requestId: string, seq: number) {
  const { Item } = await ddb.send(
    new GetItemCommand({
      TableName: stack.tables.audit,
      Key: auditKey(requestId, seq),
      ConsistentRead: true,
    }),
  );
  if (!Item) throw new Error(`no event ${requestId}/${seq}`);
  return Item;
}

async function putRaw(item: Record<string, AttributeValue>) {
  await ddb.send(
    new PutItemCommand({ TableName: stack.tables.audit, Item: item }),
  );
}

async function deleteRaw(requestId: string, seq: number) {
  await ddb.send(
    new DeleteItemCommand({
      TableName: stack.tables.audit,
      Key: auditKey(requestId, seq),
    }),
  );
}

/** Puts `item`'s contents under another seq, as a hand-made item would. */
function movedTo(item: Record<string, AttributeValue>, seq: number) {
  return { ...item, seq: { N: String(seq) } };
}

async function verification(requestId: string) {
  const { status, body } = await api<{
    events: AuditEvent[];
    verification: { valid: boolean; brokenAt?: number };
  }>(stack, 'GET', `/requests/${requestId}/audit`, { as: AUDITOR });
  expect(status).toBe(200);
  return body.verification;
}

function capture() {
  let text = '';
  return {
    stream: {
      write: (chunk: string) => {
        text += chunk;
        return true;
      },
      once: () => undefined,
    },
    text: () => text,
  };
}

async function cliVerify(...args: string[]) {
  const out = capture();
  const err = capture();
  const code = await auditCommand(['verify', ...args], {
    stdout: out.stream,
    stderr: err.stream,
  });
  return { code, out: out.text(), err: err.text() };
}

beforeAll(async () => {
  stack = await startTestStack();
  ddb = new DynamoDBClient({
    endpoint: stack.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  for (const name of CASES) principals[name] = await newPrincipal(stack);
  const created = await Promise.all(
    CASES.map((name) => cancelledRequest(principals[name])),
  );
  CASES.forEach((name, index) => {
    ids[name] = created[index] as string;
  });
  for (const name of CASES) {
    expect(await verification(ids[name])).toEqual({ valid: true });
  }

  // Edit one detail of event 2.
  await ddb.send(
    new UpdateItemCommand({
      TableName: stack.tables.audit,
      Key: auditKey(ids.edited, 2),
      UpdateExpression: 'SET details.#reasons = :forged',
      ExpressionAttributeNames: { '#reasons': 'reasons' },
      ExpressionAttributeValues: { ':forged': { L: [{ S: 'forged' }] } },
    }),
  );

  // Delete event 2.
  await deleteRaw(ids.deleted, 2);

  // Swap the contents of events 2 and 3, keys left in place.
  const [second, third] = await Promise.all([
    rawEvent(ids.swapped, 2),
    rawEvent(ids.swapped, 3),
  ]);
  await putRaw(movedTo(third, 2));
  await putRaw(movedTo(second, 3));

  // Insert a well-formed event after event 1, shifting the rest up: the
  // forger can chain it to event 1, but event 2 (now 3) still names
  // event 1's hash as its prevHash.
  const first = unmarshall(await rawEvent(ids.inserted, 1)) as AuditEvent;
  const forged = nextEvent(first, {
    requestId: ids.inserted,
    type: 'APPROVED',
    actor: 'mallory@example.com',
    at: first.at,
    details: {},
  });
  for (const seq of [4, 3, 2]) {
    await putRaw(movedTo(await rawEvent(ids.inserted, seq), seq + 1));
  }
  await putRaw(
    marshall(
      toAuditItem(forged, {
        clusterName: 'demo',
        principalArn: principals.inserted,
      }),
    ),
  );

  // Delete the last event.
  await deleteRaw(ids.truncated, 4);

  // Move event 3 out of the principal's index: the chain holds, but a
  // search for the principal would miss it.
  await ddb.send(
    new UpdateItemCommand({
      TableName: stack.tables.audit,
      Key: auditKey(ids.reindexed, 3),
      UpdateExpression: 'SET principalKey = :other',
      ExpressionAttributeValues: {
        ':other': { S: 'demo#arn:aws:iam::111122223333:role/elsewhere' },
      },
    }),
  );
}, 60_000);

afterAll(async () => {
  ddb?.destroy();
  await stack?.stop();
});

describe('Audit tampering against DynamoDB Local', () => {
  it.each([
    ['an edited detail', 'edited', 2, "the event's content was changed"],
    ['a deleted event', 'deleted', 2, 'an event is missing'],
    ['two swapped events', 'swapped', 2, 'prevHash does not match'],
    ['an inserted event', 'inserted', 3, 'prevHash does not match'],
    ['a deleted last event', 'truncated', 4, 'the chain ends before'],
  ] as const)(
    'reports %s at the right seq, by the API and by audit verify',
    async (_name, which, seq, problem) => {
      const requestId = ids[which];

      const api = await verification(requestId);
      const cli = await cliVerify('--request', requestId);

      expect(api).toEqual({ valid: false, brokenAt: seq });
      expect(cli.code).toBe(1);
      expect(cli.out).toContain(`BROKEN  ${requestId}  seq ${seq}: ${problem}`);
    },
  );

  it('passes an untouched chain, by the API and by audit verify', async () => {
    const cli = await cliVerify('--request', ids.untouched);

    expect(await verification(ids.untouched)).toEqual({ valid: true });
    expect(cli.code).toBe(0);
    expect(cli.out).toContain(`OK      ${ids.untouched}  4 events`);
  });

  it('catches an index attribute moved to hide an event from queries', async () => {
    const cli = await cliVerify('--request', ids.reindexed);

    expect(cli.code).toBe(1);
    expect(cli.out).toContain(
      `BROKEN  ${ids.reindexed}  seq 3: index attributes do not match ` +
        'the event: principalKey',
    );
  });

  it('verifies every request with --all and exits 1 naming each broken one', async () => {
    const cli = await cliVerify('--all');

    const broken = cli.out
      .split('\n')
      .filter((line) => line.startsWith('BROKEN'))
      .map((line) => line.split(/\s+/)[1])
      .sort();
    expect(cli.code).toBe(1);
    expect(broken).toEqual(
      CASES.filter((name) => name !== 'untouched')
        .map((name) => ids[name])
        .sort(),
    );
    expect(cli.out).toContain('Verified 7 requests: 1 OK, 6 broken.');
  });

  it('answers MISSING and exits 1 for an unknown request', async () => {
    const cli = await cliVerify('--request', '01UNKNOWNREQUEST');

    expect(cli.code).toBe(1);
    expect(cli.out).toContain('MISSING 01UNKNOWNREQUEST: no such request');
  });
});
