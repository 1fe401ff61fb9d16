import { parseArgs } from 'node:util';
import { startLocalStack } from './stack.ts';

const USAGE = `Usage: npm start -- [--fresh] [--port 3000] [--data-dir .local]

Starts the HTTP API, DynamoDB Local, the EKS emulator, the state machine
runner and the Slack stand-in. Ctrl-C stops everything.

Ports: PORT (3000), EKS_PORT (4566), SLACK_PORT (4567), SFN_PORT (4568),
DYNAMODB_PORT (8000).`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

let values: {
  fresh?: boolean;
  port?: string;
  'data-dir'?: string;
  help?: boolean;
};
try {
  ({ values } = parseArgs({
    options: {
      fresh: { type: 'boolean' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const port = Number(values.port ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  fail(`--port must be a port number, not ${values.port}`);
}
const dataDir = values['data-dir'] ?? '.local';

process.env.POWERTOOLS_LOG_LEVEL ??= 'INFO';
// Lambda runs Node 22; the local Node 20 warning says nothing useful here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const started = Date.now();
const stack = await startLocalStack({
  port,
  eksPort: Number(process.env.EKS_PORT ?? 4566),
  slackPort: Number(process.env.SLACK_PORT ?? 4567),
  sfnPort: Number(process.env.SFN_PORT ?? 4568),
  dynamoPort: Number(process.env.DYNAMODB_PORT ?? 8000),
  dataDir,
  fresh: values.fresh ?? false,
}).catch((error: Error) =>
  fail(`The local stack did not start: ${error.message}`),
);

console.log(`eks-access-gate local stack is up (${Date.now() - started} ms)

  HTTP API        ${stack.url}
  EKS emulator    ${stack.endpoints.eks}
  DynamoDB Local  ${stack.endpoints.dynamodb}   (data in ${dataDir}/)
  Slack stand-in  ${stack.endpoints.slack}   (calls: ${stack.url}/_local/slack/messages)
  Step Functions  ${stack.endpoints.sfn}

Try: curl ${stack.url}/health
Identity: send X-Local-User: alice@example.com. Ctrl-C stops everything.`);

// One bad request must not take the whole local stack down.
process.on('unhandledRejection', (reason) => {
  console.error('unhandled rejection (the stack keeps running):', reason);
});

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
