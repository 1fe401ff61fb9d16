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
};

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

/** Creates an in-memory EKS emulator speaking EKS's REST-JSON protocol. */
export function createEksEmulator(
  options: EksEmulatorOptions = {},
): EksEmulator {
  const clock = options.now ?? Date.now;
  const stateOptions = () => ({
    region: options.region ?? options.seed?.region ?? 'us-east-1',
    accountId: options.accountId ?? options.seed?.accountId ?? '111122223333',
    now: clock(),
  });
  let state = createState(options.seed, stateOptions());
  let latencyMs = options.latencyMs ?? 0;
  const faults = new FaultQueue();
  const idempotency = new IdempotencyCache();
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
    },
    snapshot: () => snapshotState(state),
  };

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const method = request.method ?? 'GET';
    const url = new URL(`http://emulator${request.url ?? '/'}`);
    const text = await readText(request);
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      const body = parseBody(text);
      sendJson(
        response,
        200,
        handleControl(control, method, url.pathname, body),
      );
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
    close: () =>
      new Promise((resolve, reject) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
    snapshot: control.snapshot,
    reset: control.reset,
  };
}
