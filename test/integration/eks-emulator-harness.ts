import { EKSClient } from '@aws-sdk/client-eks';
import { expect } from 'vitest';
import {
  createEksEmulator,
  type EksEmulator,
  type EksEmulatorOptions,
} from '../../local/eks-emulator/index.ts';
import { loadSeed, type Seed } from '../../local/seed.ts';

/** The clock every emulator in the suite starts at: 2025-01-01T00:00Z. */
export const T0 = Date.UTC(2025, 0, 1);

export const ACCOUNT = '111122223333';
export const DEVELOPERS = `arn:aws:iam::${ACCOUNT}:role/developers`;
export const CI_DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/ci-deployer`;
export const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
export const DEMO_NODES = `arn:aws:iam::${ACCOUNT}:role/demo-nodes`;
export const AUTO_NODES = `arn:aws:iam::${ACCOUNT}:role/auto-nodes`;
export const FARGATE_PODS = `arn:aws:iam::${ACCOUNT}:role/fargate-pods`;

/** Cluster in API mode holding node entries of the newer types. */
export const LAB = 'nodes-lab';

export const POLICY = (name: string) =>
  `arn:aws:eks::aws:cluster-access-policy/${name}`;

/** The repository seed plus a cluster exercising more entry types. */
export async function testSeed(): Promise<Seed> {
  const seed = await loadSeed();
  const lab: Seed['clusters'][number] = {
    name: LAB,
    authenticationMode: 'API',
    tags: {},
    accessEntries: [
      { principalArn: AUTO_NODES, type: 'EC2', kubernetesGroups: [] },
      {
        principalArn: FARGATE_PODS,
        type: 'FARGATE_LINUX',
        kubernetesGroups: [],
      },
    ],
  };
  return { ...seed, clusters: [...seed.clusters, lab] };
}

/** A running emulator, a real SDK client for it and a settable clock. */
export type Harness = {
  emulator: EksEmulator;
  url: string;
  /** Fails on the first error, so faults surface exactly once. */
  eks: EKSClient;
  /** Moves the emulator's clock forward. */
  advance(ms: number): void;
  /** Back to the seed state with the clock at {@link T0}. */
  reset(): void;
  /** Calls one of the emulator's own `/_emulator/*` endpoints. */
  control(method: string, path: string, body?: unknown): Promise<Response>;
};

/** Starts an emulator on a free port with the test seed. */
export async function startHarness(
  options: Partial<EksEmulatorOptions> = {},
): Promise<Harness> {
  let clock = T0;
  const emulator = createEksEmulator({
    seed: await testSeed(),
    now: () => clock,
    ...options,
  });
  const url = await emulator.listen(0);
  return {
    emulator,
    url,
    eks: eksClient(url, 1),
    advance: (ms) => {
      clock += ms;
    },
    reset: () => {
      clock = T0;
      emulator.reset();
    },
    control: (method, path, body) =>
      fetch(`${url}/_emulator/${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
  };
}

/** An SDK client for the emulator, as the application makes one. */
export function eksClient(url: string, maxAttempts: number): EKSClient {
  return new EKSClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts,
  });
}

/** What the SDK surfaces of an EKS error. */
export type SdkErrorView = {
  name: string;
  status: number | undefined;
  message: string;
  clusterName?: string;
};

/**
 * Awaits a call that must fail and returns what the SDK made of the error,
 * so a test can compare it whole.
 */
export async function failure(call: Promise<unknown>): Promise<SdkErrorView> {
  const outcome = await call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok)
    expect.fail(`expected an error, got ${JSON.stringify(outcome.value)}`);
  const error = outcome.error as {
    name: string;
    message: string;
    clusterName?: string;
    $metadata?: { httpStatusCode?: number };
  };
  return {
    name: error.name,
    status: error.$metadata?.httpStatusCode,
    message: error.message,
    ...(error.clusterName === undefined
      ? {}
      : { clusterName: error.clusterName }),
  };
}

/** Epoch milliseconds as the SDK hands timestamps back. */
export const at = (ms: number) => new Date(ms);
