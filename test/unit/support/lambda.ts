import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';

/** Environment every handler test runs with; set before the first call. */
export const TEST_ENV = {
  AWS_REGION: 'us-east-1',
  REQUESTS_TABLE: 'requests-test',
  AUDIT_TABLE: 'audit-test',
  IDEMPOTENCY_TABLE: 'idempotency-test',
  STATE_MACHINE_ARN:
    'arn:aws:states:us-east-1:111122223333:stateMachine:access-change',
  LOCAL_IDENTITY_HEADER: 'true',
  SLACK_SIGNING_SECRET: 'unit-test-signing-secret',
  SLACK_BOT_TOKEN: 'xoxb-unit-test',
  SLACK_DEFAULT_CHANNEL: 'C0ACCESS',
  SLACK_CHANNELS: '{"demo":"C0DEMO"}',
  APPROVAL_TIMEOUT_SECONDS: '3600',
} as const;

/** Applies TEST_ENV; config is read lazily, so this suffices before a call. */
export function useTestEnv(): void {
  Object.assign(process.env, TEST_ENV);
  delete process.env.SLACK_SECRET_ARN;
}

/** A minimal Lambda context, enough for Powertools' injectLambdaContext. */
export const lambdaContext: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'eks-access-gate-unit',
  functionVersion: '$LATEST',
  invokedFunctionArn:
    'arn:aws:lambda:us-east-1:111122223333:function:eks-access-gate-unit',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/eks-access-gate-unit',
  logStreamName: '2024/01/01/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

interface HttpEventOptions {
  method?: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
  as?: string;
}

/** An API Gateway v2 event as the HTTP API (or the local server) sends it. */
export function httpEvent(options: HttpEventOptions): APIGatewayProxyEventV2 {
  const method = options.method ?? 'GET';
  const body =
    options.body === undefined || typeof options.body === 'string'
      ? options.body
      : JSON.stringify(options.body);
  return {
    version: '2.0',
    routeKey: `${method} ${options.path}`,
    rawPath: options.path,
    rawQueryString: '',
    headers: {
      ...(options.as ? { 'x-local-user': options.as } : {}),
      ...options.headers,
    },
    ...(options.pathParameters
      ? { pathParameters: options.pathParameters }
      : {}),
    requestContext: {
      accountId: '111122223333',
      apiId: 'api',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path: options.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'vitest',
      },
      requestId: 'req-1',
      routeKey: `${method} ${options.path}`,
      stage: '$default',
      time: '01/Jan/2025:00:00:00 +0000',
      timeEpoch: 1_735_689_600_000,
    },
    isBase64Encoded: false,
    ...(body !== undefined ? { body } : {}),
  };
}

/** The status and parsed JSON body of an HTTP handler's answer. */
export function answer(result: APIGatewayProxyStructuredResultV2 | unknown) {
  const { statusCode, body } = result as APIGatewayProxyStructuredResultV2;
  return {
    status: statusCode,
    // biome-ignore lint/suspicious/noExplicitAny: assertions read JSON freely
    body: (body ? JSON.parse(body) : undefined) as Record<string, any>,
  };
}
