import { randomUUID } from 'node:crypto';
import {
  CreateAccessEntryCommand,
  DescribeAccessEntryCommand,
  EKSClient,
} from '@aws-sdk/client-eks';
import { inject } from 'vitest';
import { signSlackRequest } from '../../core/slack-signature.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';

/**
 * Starts the whole local stack in this test file's process against the
 * run's shared DynamoDB Local, with tables of its own.
 */
export async function startTestStack(
  env: Record<string, string> = {},
): Promise<LocalStack> {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  return startLocalStack({
    dynamoEndpoint: inject('dynamoEndpoint'),
    tablePrefix: `t${randomUUID().slice(0, 8)}`,
    env,
  });
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** Calls the stack's HTTP API as `identity` (X-Local-User). */
export async function api<T = Record<string, unknown>>(
  stack: LocalStack,
  method: string,
  path: string,
  options: {
    as?: string;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer<T>> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(options.as ? { 'x-local-user': options.as } : {}),
      ...(options.body !== undefined
        ? { 'content-type': 'application/json' }
        : {}),
      ...options.headers,
    },
    ...(options.body !== undefined
      ? {
          body:
            typeof options.body === 'string'
              ? options.body
              : JSON.stringify(options.body),
        }
      : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

/** A `block_actions` click on the approval message, signed as Slack signs. */
export function slackClick(
  stack: LocalStack,
  requestId: string,
  email: string,
  action: 'approve' | 'reject',
) {
  const user = stack.seed.slack.users.find(
    (u) => u.email === email || u.id === email,
  );
  if (!user) throw new Error(`no Slack user ${email} in the seed`);
  const payload = {
    type: 'block_actions',
    user: { id: user.id },
    channel: { id: 'C0DEMO' },
    actions: [{ action_id: action, value: requestId }],
  };
  const body = new URLSearchParams({
    payload: JSON.stringify(payload),
  }).toString();
  const timestamp = String(Math.floor(Date.now() / 1000));
  const secret = process.env.SLACK_SIGNING_SECRET ?? 'local-signing-secret';
  return fetch(`${stack.url}/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signSlackRequest(secret, timestamp, body),
    },
    body,
  });
}

const FINAL = [
  'SUCCEEDED',
  'FAILED',
  'REJECTED',
  'EXPIRED',
  'CANCELLED',
  'REVERTED',
];

/** Polls a request until its status is one of `statuses` (default: final). */
export async function waitForStatus(
  stack: LocalStack,
  requestId: string,
  statuses: string[] = FINAL,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api(stack, 'GET', `/requests/${requestId}`, {
      as: 'auditor@example.com',
    });
    if (statuses.includes(String(body.status))) return body;
    if (Date.now() > deadline) {
      throw new Error(
        `request ${requestId} is ${String(body.status)}, not ${statuses.join('|')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An EKS client talking to the stack's emulator. */
export function eksClient(stack: LocalStack): EKSClient {
  return new EKSClient({
    endpoint: stack.endpoints.eks,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
}

let principals = 0;

/**
 * A new STANDARD entry on `demo` for a role of its own, so tests do not
 * contend for one principal's lock.
 */
export async function newPrincipal(
  stack: LocalStack,
  kubernetesGroups: string[] = ['viewers'],
): Promise<string> {
  principals += 1;
  const principalArn = `arn:aws:iam::111122223333:role/test-${process.pid}-${principals}`;
  await eksClient(stack).send(
    new CreateAccessEntryCommand({
      clusterName: 'demo',
      principalArn,
      kubernetesGroups,
    }),
  );
  return principalArn;
}

/** The entry as the emulator holds it now. */
export async function entryOf(stack: LocalStack, principalArn: string) {
  const { accessEntry } = await eksClient(stack).send(
    new DescribeAccessEntryCommand({ clusterName: 'demo', principalArn }),
  );
  return accessEntry;
}

/** Makes the emulator fail the next `times` calls of `operation`. */
export async function injectFault(
  stack: LocalStack,
  operation: string,
  error: string,
  times: number,
) {
  const response = await fetch(`${stack.endpoints.eks}/_emulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ operation, error, times }),
  });
  if (!response.ok) throw new Error(`fault not set: ${response.status}`);
}

/** The audit event types of a request, in order. */
export async function auditTypes(stack: LocalStack, requestId: string) {
  const { body } = await api<{ events: { type: string }[] }>(
    stack,
    'GET',
    `/requests/${requestId}/audit`,
    { as: 'auditor@example.com' },
  );
  return body.events.map((event) => event.type);
}

/** Resolves once the request's approval message has been posted. */
export async function waitForApprovalMessage(
  stack: LocalStack,
  requestId: string,
): Promise<{ ts: string }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const call = stack.slack.calls.find(
      (c) =>
        c.method === 'chat.postMessage' &&
        JSON.stringify(c.args.blocks ?? []).includes(requestId),
    );
    if (call?.ts) return { ts: call.ts };
    if (Date.now() > deadline) throw new Error('no approval message');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
