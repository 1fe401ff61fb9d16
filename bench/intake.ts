/**
 * Intake: the submit-request handler in-process against DynamoDB Local
 * and the EKS emulator, beside the floor: the same EKS reads, the same
 * TransactWriteItems (the very items the handler wrote, with fresh ids)
 * and the same StartExecution, made directly with the SDK.
 *
 * Step Functions is a stub answering StartExecution for both sides alike:
 * the local runner would start each workflow in this process and bill its
 * CPU to whichever side happened to be running.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  EKSClient,
} from '@aws-sdk/client-eks';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ulid } from 'ulid';
import { lambdaContext } from '../local/lambda-context.ts';
import { startLocalStack } from '../local/stack.ts';
import { captureTransactWrite } from './capacity.ts';
import { childMain, isChild } from './child.ts';
import { closedLoop, median, quantile, round } from './stats.ts';

export interface IntakeResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  floorRps: number;
  floorP50Ms: number;
  floorP99Ms: number;
  /** Ours over the floor, time per request. */
  ratio: number;
  /**
   * CPU of this process (handler or floor, SDK, emulator, stub) per
   * request: less sensitive than wall time to other load on the machine.
   */
  cpuMsPerRequest: number;
  floorCpuMsPerRequest: number;
  requests: number;
  concurrency: number;
  /** Items in the one TransactWriteItems of a submission. */
  transactItems: number;
  stepFunctions: string;
}

const WARMUP = 20;
const ROUNDS = 3;
const PER_ROUND = 60;
const CONCURRENCY = 4;
const REQUESTER = 'alice@example.com';

/** Answers StartExecution as Step Functions does, and starts nothing. */
async function startSfnStub(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as {
        stateMachineArn?: string;
        name?: string;
      };
      const arn = String(body.stateMachineArn).replace(
        ':stateMachine:',
        ':execution:',
      );
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(
        JSON.stringify({
          executionArn: `${arn}:${body.name}`,
          startDate: Date.now() / 1000,
        }),
      );
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

/** A `POST /requests` event as API Gateway (payload v2) sends it. */
function submitEvent(body: unknown): APIGatewayProxyEventV2 {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: 'POST /requests',
    rawPath: '/requests',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'x-local-user': REQUESTER,
    },
    requestContext: {
      accountId: '111122223333',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'local',
      http: {
        method: 'POST',
        path: '/requests',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: ulid(),
      routeKey: 'POST /requests',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

async function main(): Promise<IntakeResult> {
  const dynamoEndpoint = process.env.BENCH_DYNAMO_ENDPOINT ?? '';
  const stack = await startLocalStack({
    dynamoEndpoint,
    tablePrefix: 'bench-intake',
    dataDir: join(process.env.BENCH_WORK_DIR ?? '/tmp', 'intake'),
    // A run starts from the seed: no entries or requests of an earlier run.
    fresh: true,
  });
  const stub = await startSfnStub();
  try {
    // The handler's SFN client is made on its first call, from this.
    process.env.SFN_ENDPOINT = stub.url;
    return await measure(stack.endpoints, stub.url);
  } finally {
    stub.server.close();
    await stack.stop();
  }
}

async function measure(
  endpoints: { eks: string; dynamodb: string },
  sfnUrl: string,
): Promise<IntakeResult> {
  const local = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  // The floor's clients are configured as the product's adapters are.
  const eks = new EKSClient({
    ...local,
    endpoint: endpoints.eks,
    maxAttempts: 1,
    requestHandler: { requestTimeout: 10_000, connectionTimeout: 3_000 },
  });
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ ...local, endpoint: endpoints.dynamodb }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const sfn = new SFNClient({ ...local, endpoint: sfnUrl });
  const stateMachineArn = process.env.STATE_MACHINE_ARN ?? '';

  const total = WARMUP + ROUNDS * PER_ROUND;
  const principals: string[] = [];
  await closedLoop(total, 8, async (i) => {
    const principalArn = `arn:aws:iam::111122223333:role/bench-intake-${i}`;
    await eks.send(
      new CreateAccessEntryCommand({
        clusterName: 'demo',
        principalArn,
        kubernetesGroups: ['viewers', 'deployers'],
      }),
    );
    principals[i] = principalArn;
  });

  const { handler } = (await import(
    '../functions/submit-request/handler.ts'
  )) as {
    handler: (
      event: unknown,
      context: unknown,
    ) => Promise<{
      statusCode: number;
      body: string;
    }>;
  };
  const { documentClient } = await import('../adapters/dynamo.ts');
  const capture = captureTransactWrite(documentClient());

  let nextPrincipal = 0;
  const ours = async () => {
    const principalArn = principals[nextPrincipal++] ?? '';
    const answer = await handler(
      submitEvent({
        clusterName: 'demo',
        principalArn,
        kubernetesGroups: ['viewers'],
        reason: 'bench: drop deployers',
      }),
      lambdaContext('submit-request'),
    );
    if (answer.statusCode !== 202) {
      throw new Error(`submit answered ${answer.statusCode}: ${answer.body}`);
    }
  };

  const captured = capture.next();
  await ours();
  const sample = await captured;
  const sampleText = JSON.stringify(sample);
  const items = sample.TransactItems as {
    Put?: { Item: Record<string, string> };
  }[];
  const sampleRequestId = String(items[1]?.Put?.Item.requestId);
  const sampleLockId = String(items[0]?.Put?.Item.id);

  let floorCount = 0;
  const floor = async () => {
    const i = floorCount++;
    const requestId = ulid();
    await eks.send(new DescribeClusterCommand({ name: 'demo' }));
    await eks.send(
      new DescribeAccessEntryCommand({
        clusterName: 'demo',
        principalArn: principals[i % principals.length],
      }),
    );
    const input = JSON.parse(
      sampleText
        .replaceAll(sampleRequestId, requestId)
        .replaceAll(sampleLockId, `lock#demo#floor-${requestId}`),
    );
    await ddb.send(new TransactWriteCommand(input));
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: requestId,
        input: JSON.stringify({
          requestId,
          autoApproved: true,
          approvalTimeoutSeconds: 86_400,
        }),
      }),
    );
  };

  await closedLoop(WARMUP - 1, CONCURRENCY, ours);
  await closedLoop(WARMUP, CONCURRENCY, floor);

  // Alternate rounds so drift in DynamoDB Local (JIT, table growth) and in
  // the machine's load falls on both sides alike.
  const oursRuns = { latencies: [] as number[], wallMs: 0, cpuMs: 0 };
  const floorRuns = { latencies: [] as number[], wallMs: 0, cpuMs: 0 };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [side, call] of [
      [oursRuns, ours],
      [floorRuns, floor],
    ] as const) {
      const cpu = process.cpuUsage();
      const run = await closedLoop(PER_ROUND, CONCURRENCY, call);
      const used = process.cpuUsage(cpu);
      side.cpuMs += (used.user + used.system) / 1000;
      side.latencies.push(...run.latencies);
      side.wallMs += run.wallMs;
    }
  }

  const rps = (oursRuns.latencies.length / oursRuns.wallMs) * 1000;
  const floorRps = (floorRuns.latencies.length / floorRuns.wallMs) * 1000;
  return {
    rps: round(rps),
    p50Ms: round(median(oursRuns.latencies)),
    p99Ms: round(quantile(oursRuns.latencies, 0.99)),
    floorRps: round(floorRps),
    floorP50Ms: round(median(floorRuns.latencies)),
    floorP99Ms: round(quantile(floorRuns.latencies, 0.99)),
    ratio: round(floorRps / rps, 2),
    cpuMsPerRequest: round(oursRuns.cpuMs / oursRuns.latencies.length),
    floorCpuMsPerRequest: round(floorRuns.cpuMs / floorRuns.latencies.length),
    requests: oursRuns.latencies.length,
    concurrency: CONCURRENCY,
    transactItems: items.length,
    stepFunctions: 'stub StartExecution endpoint, same for both sides',
  };
}

if (isChild(import.meta.url)) await childMain(main);
