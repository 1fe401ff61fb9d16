import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Seed } from '../seed.ts';
import { describeCluster } from './cluster-operations.ts';
import type { OperationHandler } from './context.ts';
import { CONTROL_PREFIX, handleControl } from './control.ts';
import {
  createAccessEntry,
  deleteAccessEntry,
  describeAccessEntry,
  listAccessEntries,
  updateAccessEntry,
} from './entry-operations.ts';
import { EksError } from './errors.ts';
import { FaultQueue } from './faults.ts';
import { parseBody, readText, sendError, sendJson } from './http-io.ts';
import { IdempotencyCache } from './idempotency.ts';
import {
  associateAccessPolicy,
  disassociateAccessPolicy,
  listAccessPolicies,
  listAssociatedAccessPolicies,
} from './policy-operations.ts';
import { matchRoute, type Operation } from './routes.ts';
import { encodeState } from './state-codec.ts';
import { readStateFile, StateFileWriter } from './state-file.ts';
import { createState, type EmulatorSnapshot, snapshotState } from './store.ts';

/** How to start an emulator. */
export type EksEmulatorOptions = {
  /** Clusters and entries to start with; none when absent. */
  seed?: Seed;
  /** Delay before answering each EKS call, in milliseconds. */
  latencyMs?: number;
  /** Overrides the seed's region; `us-east-1` when neither gives one. */
  region?: string;
  /** Overrides the seed's account; `111122223333` when neither gives one. */
  accountId?: string;
  /** Clock in epoch milliseconds, so tests can pin timestamps. */
  now?: () => number;
  /**
   * A JSON file that keeps the state across restarts. When it exists at
   * start the state comes from it, not the seed (region and account
   * included); it is rewritten after every change and on reset.
   */
  stateFile?: string;
};

/** A running (or ready to run) EKS access-entry emulator. */
export type EksEmulator = {
  server: Server;
  /** Starts listening; resolves to a base URL like `http://127.0.0.1:4566`. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  /** A detached copy of the current state. */
  snapshot(): EmulatorSnapshot;
  /** Back to the seed state, with no faults, tokens or extra latency. */
  reset(): void;
  /** Resolves once the state file holds every change made so far. */
  flush(): Promise<void>;
};

/** Operations that change the state, so the state file is rewritten. */
const MUTATIONS: ReadonlySet<Operation> = new Set([
  'CreateAccessEntry',
  'UpdateAccessEntry',
  'DeleteAccessEntry',
  'AssociateAccessPolicy',
  'DisassociateAccessPolicy',
]);

/** Remembered tokens the state file keeps; older ones are forgotten. */
const PERSISTED_TOKENS = 1000;

const HANDLERS: Record<Operation, OperationHandler> = {
  DescribeCluster: describeCluster,
  CreateAccessEntry: createAccessEntry,
  ListAccessEntries: listAccessEntries,
  DescribeAccessEntry: describeAccessEntry,
  UpdateAccessEntry: updateAccessEntry,
  DeleteAccessEntry: deleteAccessEntry,
  AssociateAccessPolicy: associateAccessPolicy,
  ListAssociatedAccessPolicies: listAssociatedAccessPolicies,
  DisassociateAccessPolicy: disassociateAccessPolicy,
  ListAccessPolicies: listAccessPolicies,
};

/**
 * Creates an EKS emulator speaking EKS's REST-JSON protocol, in memory or
 * kept in `options.stateFile`. Throws a StateFileError naming the file
 * when that file exists but is not a valid state.
 */
export function createEksEmulator(
  options: EksEmulatorOptions = {},
): EksEmulator {
  const clock = options.now ?? Date.now;
  const stateOptions = () => ({
    region: options.region ?? options.seed?.region ?? 'us-east-1',
    accountId: options.accountId ?? options.seed?.accountId ?? '111122223333',
    now: clock(),
  });
  const stored =
    options.stateFile === undefined
      ? undefined
      : readStateFile(options.stateFile);
  let state = stored?.state ?? createState(options.seed, stateOptions());
  let latencyMs = options.latencyMs ?? 0;
  const faults = new FaultQueue();
  const idempotency = new IdempotencyCache();
  if (stored) idempotency.import(stored.idempotencyTokens);
  const writer =
    options.stateFile === undefined
      ? undefined
      : new StateFileWriter(options.stateFile, () =>
          encodeState(state, idempotency.export(PERSISTED_TOKENS)),
        );
  // Callers that cannot wait (reset, start-up) still hear of a failure.
  const saveInBackground = () => {
    writer?.save().catch((error: unknown) => {
      console.error(`eks-emulator: saving ${writer.file} failed:`, error);
    });
  };
  // A seed turned state has fresh ARNs and times; keep them from the start.
  if (!stored) saveInBackground();
  const control = {
    faults,
    getLatency: () => latencyMs,
    setLatency: (ms: number) => {
      latencyMs = ms;
    },
    reset: () => {
      state = createState(options.seed, stateOptions());
      latencyMs = options.latencyMs ?? 0;
      faults.clear();
      idempotency.clear();
      saveInBackground();
    },
    snapshot: () => snapshotState(state),
  };

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const method = request.method ?? 'GET';
    const url = new URL(`http://emulator${request.url ?? '/'}`);
    const text = await readText(request);
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      const body = parseBody(text);
      const result = handleControl(control, method, url.pathname, body);
      await writer?.flush();
      sendJson(response, 200, result);
      return;
    }

    const route = matchRoute(method, url.pathname);
    if (!route)
      throw new EksError(
        'UnknownOperationException',
        `No operation matches ${method} ${url.pathname}.`,
      );
    if (latencyMs > 0) await sleep(latencyMs);
    const fault = faults.take(route.operation);
    if (fault) {
      const { clusterName } = route.params;
      throw new EksError(fault.error, fault.message, {
        ...(clusterName === undefined ? {} : { clusterName }),
      });
    }

    const body = parseBody(text);
    const replayed = idempotency.replay(route.operation, route.params, body);
    if (replayed !== undefined) {
      sendJson(response, 200, replayed);
      return;
    }
    const result = HANDLERS[route.operation]({
      state,
      params: route.params,
      query: url.searchParams,
      body,
      now: clock(),
    });
    idempotency.remember(route.operation, route.params, body, result);
    // The caller hears of the change only once it is on disk.
    if (MUTATIONS.has(route.operation)) await writer?.save();
    sendJson(response, 200, result);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!(error instanceof EksError)) console.error('eks-emulator:', error);
      if (!response.headersSent) sendError(response, error);
    });
  });

  return {
    server,
    listen: (port = 0, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const { address, port: bound } = server.address() as AddressInfo;
          const hostPart = address.includes(':') ? `[${address}]` : address;
          resolve(`http://${hostPart}:${bound}`);
        });
      }),
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
      await writer?.flush();
    },
    snapshot: control.snapshot,
    reset: control.reset,
    flush: async () => {
      await writer?.flush();
    },
  };
}
