import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { localDynamoClient } from '../../local/tables.ts';
import { api, startTestStack } from '../support/stack.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

const VALID = {
  clusterName: 'demo',
  principalArn: 'arn:aws:iam::111122223333:role/developers',
  kubernetesGroups: ['viewers', 'deployers'],
  reason: 'OPS-1234 deploy rights',
};

async function itemCount(): Promise<number> {
  const client = localDynamoClient(stack.endpoints.dynamodb);
  let count = 0;
  for (const table of [stack.tables.requests, stack.tables.audit]) {
    const { Count } = await client.send(
      new ScanCommand({ TableName: table, Select: 'COUNT' }),
    );
    count += Count ?? 0;
  }
  client.destroy();
  return count;
}

type ErrorBody = {
  error: { code: string; message: string; issues?: { path: string }[] };
};

async function post(
  body: unknown,
  as: string | undefined = 'alice@example.com',
) {
  return api<ErrorBody>(stack, 'POST', '/requests', {
    ...(as ? { as } : {}),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('POST /requests with bad input', () => {
  const cases: [string, unknown, number, string, string?][] = [
    ['a body that is not JSON', '{"clusterName": ', 400, 'ValidationError'],
    [
      'a missing reason',
      { ...VALID, reason: undefined },
      400,
      'ValidationError',
      'reason',
    ],
    [
      'no groups and no username',
      { ...VALID, kubernetesGroups: undefined },
      400,
      'ValidationError',
      'kubernetesGroups',
    ],
    [
      'groups of the wrong type',
      { ...VALID, kubernetesGroups: 'viewers' },
      400,
      'ValidationError',
      'kubernetesGroups',
    ],
    [
      'a duration that is not a whole number',
      { ...VALID, durationMinutes: 1.5 },
      400,
      'ValidationError',
      'durationMinutes',
    ],
    [
      'an unknown field',
      { ...VALID, kubernetesGroup: ['x'] },
      400,
      'ValidationError',
    ],
    [
      'an invalid principal ARN',
      { ...VALID, principalArn: 'developers' },
      400,
      'ValidationError',
      'principalArn',
    ],
    [
      'an assumed-role principal',
      {
        ...VALID,
        principalArn: 'arn:aws:sts::111122223333:assumed-role/developers/alice',
      },
      400,
      'ValidationError',
      'principalArn',
    ],
    [
      'a system: group',
      { ...VALID, kubernetesGroups: ['system:masters'] },
      400,
      'ValidationError',
      'kubernetesGroups',
    ],
    [
      'a reserved username',
      { ...VALID, username: 'eks:admin' },
      400,
      'ValidationError',
      'username',
    ],
    ['an unknown cluster', { ...VALID, clusterName: 'nope' }, 404, 'NotFound'],
    [
      'an unknown access entry',
      { ...VALID, principalArn: 'arn:aws:iam::111122223333:role/nobody' },
      404,
      'NotFound',
    ],
    [
      'a cluster in CONFIG_MAP mode',
      { ...VALID, clusterName: 'legacy' },
      422,
      'UnsupportedEntry',
    ],
    [
      'a node entry',
      { ...VALID, principalArn: 'arn:aws:iam::111122223333:role/demo-nodes' },
      422,
      'UnsupportedEntry',
    ],
    [
      'a change that changes nothing',
      { ...VALID, kubernetesGroups: ['viewers'] },
      400,
      'ValidationError',
    ],
  ];

  it.each(cases)(
    'answers %s with its status and code, and writes nothing',
    async (_name, body, status, code, path) => {
      const before = await itemCount();

      const answer = await post(body);

      expect(answer.status).toBe(status);
      expect(answer.body.error.code).toBe(code);
      expect(answer.body.error.message).toBeTruthy();
      if (path) {
        expect(answer.body.error.issues?.map((i) => i.path)).toContain(path);
      }
      expect(await itemCount()).toBe(before);
    },
  );

  it('names an unknown field as its path', async () => {
    const answer = await post({ ...VALID, extra: 1 });

    expect(answer.status).toBe(400);
    expect(answer.body.error.issues).toEqual([
      { path: 'extra', message: 'is not a known field' },
    ]);
  });

  it('answers 404 for a request id that cannot exist, however long', async () => {
    const id = 'A'.repeat(3000);

    const answers = await Promise.all([
      api<ErrorBody>(stack, 'GET', `/requests/${id}`, {
        as: 'auditor@example.com',
      }),
      api<ErrorBody>(stack, 'GET', `/requests/${id}/audit`, {
        as: 'auditor@example.com',
      }),
      api<ErrorBody>(stack, 'POST', `/requests/${id}/cancel`, {
        as: 'alice@example.com',
      }),
    ]);

    expect(answers.map((a) => a.status)).toEqual([404, 404, 404]);
    expect(answers[0]?.body.error.code).toBe('NotFound');
  });

  it('answers 400 for a malformed percent-encoding in the path', async () => {
    const answer = await api<ErrorBody>(stack, 'GET', '/requests/%E0%A4%A', {
      as: 'auditor@example.com',
    });

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('BadRequest');
  });

  it('answers 401 without an identity', async () => {
    const answer = await post(VALID, '');

    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('Unauthenticated');
  });

  it('answers 413 for a body over 64 KiB', async () => {
    const answer = await post({ ...VALID, reason: 'x'.repeat(70_000) });

    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('PayloadTooLarge');
  });
});
