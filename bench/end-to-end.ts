/**
 * End to end: automatically approved requests (a change that only removes
 * groups) through the local stack's HTTP API, each followed by polling
 * `GET /requests/{id}` until it is SUCCEEDED. Then the cost of one
 * approved request, measured on a separate batch that is not polled, so
 * the client's polling is not billed to the product.
 */
import { join } from 'node:path';
import { CreateAccessEntryCommand, EKSClient } from '@aws-sdk/client-eks';
import { type LocalStack, startLocalStack } from '../local/stack.ts';
import { childMain, isChild } from './child.ts';
import { type CostResult, installMeters, measureCost } from './cost.ts';
import { closedLoop, median, quantile, round } from './stats.ts';

export interface EndToEndResult {
  requests: number;
  completedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Of those, POST /requests alone. */
  submitP50Ms: number;
  /** Execution start to end, as the runner saw it. */
  workflowP50Ms: number;
  concurrency: number;
  pollIntervalMs: number;
  /** GET /requests/{id} calls the client made per request. */
  pollsPerRequest: number;
  cost: CostResult;
}

const REQUESTS = Number(process.env.BENCH_E2E_REQUESTS ?? 200);
const WARMUP = 5;
const COST_REQUESTS = Number(process.env.BENCH_COST_REQUESTS ?? 30);
const CONCURRENCY = Number(process.env.BENCH_E2E_CONCURRENCY ?? 10);
const POLL_MS = 50;

async function call(
  stack: LocalStack,
  method: string,
  path: string,
  as: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      'x-local-user': as,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

async function main(): Promise<EndToEndResult> {
  const stack = await startLocalStack({
    dynamoEndpoint: process.env.BENCH_DYNAMO_ENDPOINT ?? '',
    tablePrefix: 'bench-e2e',
    dataDir: join(process.env.BENCH_WORK_DIR ?? '/tmp', 'end-to-end'),
    // A run starts from the seed: no entries or requests of an earlier run.
    fresh: true,
  });
  try {
    return await measure(stack);
  } finally {
    await stack.stop();
  }
}

async function measure(stack: LocalStack): Promise<EndToEndResult> {
  const meters = await installMeters(stack);
  const eks = new EKSClient({
    endpoint: stack.endpoints.eks,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const principals: string[] = [];
  await closedLoop(WARMUP + REQUESTS + COST_REQUESTS, 8, async (i) => {
    const principalArn = `arn:aws:iam::111122223333:role/bench-e2e-${i}`;
    await eks.send(
      new CreateAccessEntryCommand({
        clusterName: 'demo',
        principalArn,
        kubernetesGroups: ['viewers', 'deployers'],
      }),
    );
    principals[i] = principalArn;
  });
  eks.destroy();

  let next = 0;
  const submit = async (): Promise<string> => {
    const answer = await call(stack, 'POST', '/requests', 'alice@example.com', {
      clusterName: 'demo',
      principalArn: principals[next++],
      kubernetesGroups: ['viewers'],
      reason: 'bench: drop deployers',
    });
    if (answer.status !== 202 || answer.body.status !== 'APPROVED') {
      throw new Error(
        `submit: ${answer.status} ${JSON.stringify(answer.body)}`,
      );
    }
    return String(answer.body.requestId);
  };
  let polls = 0;
  const submitLatencies: number[] = [];
  const ids: string[] = [];
  const untilSucceeded = async () => {
    const t0 = performance.now();
    const id = await submit();
    submitLatencies.push(performance.now() - t0);
    ids.push(id);
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      polls += 1;
      const { body } = await call(
        stack,
        'GET',
        `/requests/${id}`,
        'auditor@example.com',
      );
      if (body.status === 'SUCCEEDED') return;
      if (body.status !== 'APPROVED' && body.status !== 'EXECUTING') {
        throw new Error(`request ${id} ended ${JSON.stringify(body)}`);
      }
    }
  };

  await closedLoop(WARMUP, WARMUP, untilSucceeded);
  polls = 0;
  submitLatencies.length = 0;
  ids.length = 0;
  const run = await closedLoop(REQUESTS, CONCURRENCY, untilSucceeded);
  const measured = new Set(ids);
  const workflows = [...stack.sfn.executions.values()]
    .filter((e) => measured.has(e.name) && e.stopDate)
    .map((e) => (e.stopDate?.getTime() ?? 0) - e.startDate.getTime());

  const cost = await measureCost(stack, meters, COST_REQUESTS, () => submit());
  return {
    requests: REQUESTS,
    completedPerSec: round((REQUESTS / run.wallMs) * 1000),
    p50Ms: round(median(run.latencies)),
    p99Ms: round(quantile(run.latencies, 0.99)),
    submitP50Ms: round(median(submitLatencies)),
    workflowP50Ms: round(median(workflows)),
    concurrency: CONCURRENCY,
    pollIntervalMs: POLL_MS,
    pollsPerRequest: round(polls / REQUESTS, 2),
    cost,
  };
}

if (isChild(import.meta.url)) await childMain(main);
