import { mkdir, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROUTES, WORKFLOW_FUNCTIONS } from '../functions/routes.ts';
import { createApiServer, type HttpFunction, listen } from './api-server.ts';
import { type RunningDynamo, startDynamo } from './dynamodb.ts';
import { createEksEmulator } from './eks-emulator/index.ts';
import { ensureIdempotencyTable } from './idempotency-table.ts';
import { lambdaContext } from './lambda-context.ts';
import { writePolicyEntities } from './policy-entities.ts';
import { resumeOpenRequests } from './resume.ts';
import { loadSeed, type Seed } from './seed.ts';
import { type LocalFunction, LocalStepFunctions } from './sfn-runner.ts';
import { SlackStandIn } from './slack-standin.ts';
import { ensureTables } from './tables.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STATE_MACHINE_ARN =
  'arn:aws:states:us-east-1:111122223333:stateMachine:access-change';

export interface StackOptions {
  /** HTTP API port; 0 picks a free one. */
  port?: number;
  eksPort?: number;
  slackPort?: number;
  sfnPort?: number;
  dynamoPort?: number;
  /** Where DynamoDB Local keeps its files; absent: in memory. */
  dataDir?: string;
  /** Wipe `dataDir` first. */
  fresh?: boolean;
  /** Use a DynamoDB already running there instead of starting one. */
  dynamoEndpoint?: string;
  /** Table name prefix, so test files can share one DynamoDB Local. */
  tablePrefix?: string;
  seedPath?: string;
  /** Extra environment for the functions (time knobs and the like). */
  env?: Record<string, string>;
}

export interface LocalStack {
  url: string;
  endpoints: { eks: string; dynamodb: string; slack: string; sfn: string };
  seed: Seed;
  slack: SlackStandIn;
  sfn: LocalStepFunctions;
  tables: { requests: string; audit: string };
  stop(): Promise<void>;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

async function importHandler(name: string): Promise<Handler> {
  const module = (await import(`../functions/${name}/handler.ts`)) as {
    handler: Handler;
  };
  return module.handler;
}

/**
 * Starts every part of the product on this machine: DynamoDB Local, the
 * EKS emulator, the Slack stand-in, the state machine runner and the HTTP
 * API, wired through the same environment variables Lambda gets. The
 * functions run in this process, so one stack per process.
 */
export async function startLocalStack(
  options: StackOptions = {},
): Promise<LocalStack> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => undefined);
  };
  try {
    return await start(options, stops, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

async function start(
  options: StackOptions,
  stops: (() => Promise<void>)[],
  stop: () => Promise<void>,
): Promise<LocalStack> {
  const seed = await loadSeed(
    options.seedPath ?? join(ROOT, 'local/seed.json'),
  );
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (dataDir && options.fresh)
    await rm(dataDir, { recursive: true, force: true });
  if (dataDir) await mkdir(join(dataDir, 'dynamodb'), { recursive: true });

  let dynamoEndpoint = options.dynamoEndpoint;
  if (dynamoEndpoint === undefined) {
    const dynamo: RunningDynamo = await startDynamo({
      ...(options.dynamoPort !== undefined ? { port: options.dynamoPort } : {}),
      ...(dataDir ? { path: join(dataDir, 'dynamodb') } : {}),
    });
    stops.push(dynamo.stop);
    dynamoEndpoint = dynamo.endpoint;
  }

  const emulator = createEksEmulator({
    seed,
    ...(dataDir ? { stateFile: join(dataDir, 'eks-emulator.json') } : {}),
  });
  const eksUrl = await emulator.listen(options.eksPort ?? 0);
  stops.push(() => emulator.close());

  const slack = new SlackStandIn(seed.slack.users);
  const slackUrl = await slack.listen(options.slackPort ?? 0);
  stops.push(() => slack.close());

  const prefix = options.tablePrefix ?? 'eks-access-gate';
  const tables = { requests: `${prefix}-requests`, audit: `${prefix}-audit` };
  await ensureTables(dynamoEndpoint, tables);
  const idempotencyTable = `${prefix}-idempotency`;
  await ensureIdempotencyTable(dynamoEndpoint, idempotencyTable);
  const entitiesFile = join(
    dataDir ?? join(ROOT, '.local'),
    `${prefix}-policy-entities.json`,
  );
  await writePolicyEntities(seed, entitiesFile);

  // The functions read these as they would in Lambda; they must be set
  // before the first handler module is imported.
  const sfnPort = options.sfnPort ?? 0;
  Object.assign(process.env, {
    AWS_REGION: seed.region,
    REQUESTS_TABLE: tables.requests,
    AUDIT_TABLE: tables.audit,
    IDEMPOTENCY_TABLE: idempotencyTable,
    DYNAMODB_ENDPOINT: dynamoEndpoint,
    EKS_ENDPOINT: eksUrl,
    SLACK_API_URL: slackUrl,
    SLACK_DEFAULT_CHANNEL: seed.slack.defaultChannel,
    SLACK_CHANNELS: JSON.stringify(seed.slack.channels),
    STATE_MACHINE_ARN,
    LOCAL_IDENTITY_HEADER: 'true',
    // EMF metrics are for CloudWatch; locally they would only flood stdout.
    POWERTOOLS_METRICS_DISABLED:
      process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
    POLICY_ENTITIES_FILE: entitiesFile,
    ...options.env,
  });

  const invoke =
    (name: string): LocalFunction =>
    async (payload) =>
      (await importHandler(name))(payload, lambdaContext(name));
  const functions: Record<string, LocalFunction> = {};
  const substitutions: Record<string, string> = {};
  for (const [key, name] of Object.entries(WORKFLOW_FUNCTIONS)) {
    const arn = `arn:aws:lambda:${seed.region}:${seed.accountId}:function:${name}`;
    substitutions[key] = arn;
    functions[arn] = invoke(name);
  }
  const sfn = new LocalStepFunctions({
    definitionPath: join(ROOT, 'statemachine/access-change.asl.json'),
    substitutions,
    functions,
    stateMachineArn: STATE_MACHINE_ARN,
    waitScale: Number(process.env.LOCAL_WAIT_SCALE ?? 1),
  });
  const sfnUrl = await sfn.listen(sfnPort);
  process.env.SFN_ENDPOINT = sfnUrl;
  stops.push(() => sfn.close());
  if (dataDir) {
    await resumeOpenRequests(
      dynamoEndpoint,
      tables.requests,
      sfn,
      Number(process.env.APPROVAL_TIMEOUT_SECONDS ?? 86_400),
      Number(process.env.LOCAL_WAIT_SCALE ?? 1),
    );
  }

  const httpFunctions: Record<string, HttpFunction> = {};
  for (const name of new Set(ROUTES.map((route) => route.fn))) {
    httpFunctions[name] = (await importHandler(name)) as HttpFunction;
  }
  const endpoints = {
    eks: eksUrl,
    dynamodb: dynamoEndpoint,
    slack: slackUrl,
    sfn: sfnUrl,
  };
  const server: Server = createApiServer(httpFunctions, (url) => {
    if (url.pathname === '/health') {
      return Promise.resolve({
        status: 200,
        body: { status: 'ok', endpoints },
      });
    }
    if (url.pathname === '/_local/slack/messages') {
      return Promise.resolve({ status: 200, body: { calls: slack.calls } });
    }
    return undefined;
  });
  const url = await listen(server, options.port ?? 0);
  stops.push(
    () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  );

  return { url, endpoints, seed, slack, sfn, tables, stop };
}
