import { z } from 'zod';
import {
  ACCESS_ENTRY_TYPES,
  AUTHENTICATION_MODES,
} from '../../core/eks-rules.ts';
import type { RememberedToken } from './idempotency.ts';
import { OPERATIONS } from './routes.ts';
import type {
  AccessEntryRecord,
  ClusterRecord,
  EmulatorState,
  PolicyAssociation,
} from './store.ts';

/** Bumped when the file's shape changes in a way old readers misread. */
const FORMAT_VERSION = 1;

const epochMillis = z.number().int().nonnegative();
const tags = z.record(z.string(), z.string());

const associationSchema = z.object({
  policyArn: z.string().min(1),
  accessScope: z.object({
    type: z.enum(['cluster', 'namespace']),
    namespaces: z.array(z.string()),
  }),
  associatedAt: epochMillis,
  modifiedAt: epochMillis,
});

const entrySchema = z.object({
  principalArn: z.string().min(1),
  accessEntryArn: z.string().min(1),
  type: z.enum(ACCESS_ENTRY_TYPES),
  kubernetesGroups: z.array(z.string()),
  username: z.string(),
  tags,
  createdAt: epochMillis,
  modifiedAt: epochMillis,
  policies: z.array(associationSchema),
});

const clusterSchema = z.object({
  name: z.string().min(1),
  arn: z.string().min(1),
  endpointId: z.string().min(1),
  authenticationMode: z.enum(AUTHENTICATION_MODES),
  tags,
  createdAt: epochMillis,
  entries: z.array(entrySchema),
});

const tokenSchema = z.object({
  operation: z.enum(OPERATIONS),
  token: z.string().min(1),
  fingerprint: z.string(),
  response: z.unknown(),
});

// Keys double as map keys once loaded, so a repeat would silently drop
// data; it is refused instead.
const stateFileSchema = z
  .object({
    version: z.literal(FORMAT_VERSION),
    region: z.string().min(1),
    accountId: z.string().regex(/^\d{12}$/),
    partition: z.string().min(1),
    clusters: z.array(clusterSchema),
    idempotencyTokens: z.array(tokenSchema).default([]),
  })
  .superRefine((file, context) => {
    const names = new Set<string>();
    for (const [index, cluster] of file.clusters.entries()) {
      if (names.has(cluster.name))
        context.addIssue({
          code: 'custom',
          path: ['clusters', index, 'name'],
          message: `cluster ${cluster.name} appears twice`,
        });
      names.add(cluster.name);
      const principals = new Set<string>();
      for (const [at, entry] of cluster.entries.entries()) {
        if (principals.has(entry.principalArn))
          context.addIssue({
            code: 'custom',
            path: ['clusters', index, 'entries', at, 'principalArn'],
            message: `entry ${entry.principalArn} appears twice`,
          });
        principals.add(entry.principalArn);
      }
    }
  });

/** What a state file holds, once read. */
export type DecodedState = {
  state: EmulatorState;
  idempotencyTokens: RememberedToken[];
};

/** The JSON text a state file holds; maps become arrays in their order. */
export function encodeState(
  state: EmulatorState,
  idempotencyTokens: readonly RememberedToken[],
): string {
  const file: z.input<typeof stateFileSchema> = {
    version: FORMAT_VERSION,
    region: state.region,
    accountId: state.accountId,
    partition: state.partition,
    clusters: [...state.clusters.values()].map((cluster) => ({
      ...cluster,
      entries: [...cluster.entries.values()].map(
        ({ clusterName: _cluster, policies, ...entry }) => ({
          ...entry,
          policies: [...policies.values()],
        }),
      ),
    })),
    idempotencyTokens: [...idempotencyTokens],
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Parses and validates state file text. Throws an Error whose message
 * says what is wrong and where, without the file name: the caller adds it.
 */
export function decodeState(text: string): DecodedState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message})`);
  }
  const parsed = stateFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(top level)';
    throw new Error(`${where}: ${issue?.message ?? 'invalid'}`);
  }
  const file = parsed.data;
  const state: EmulatorState = {
    region: file.region,
    accountId: file.accountId,
    partition: file.partition,
    clusters: new Map(
      file.clusters.map((cluster) => [cluster.name, toCluster(cluster)]),
    ),
  };
  return {
    state,
    idempotencyTokens: file.idempotencyTokens.map((token) => ({
      operation: token.operation,
      token: token.token,
      fingerprint: token.fingerprint,
      response: token.response,
    })),
  };
}

function toCluster(cluster: z.output<typeof clusterSchema>): ClusterRecord {
  const entries = cluster.entries.map((entry): AccessEntryRecord => {
    const policies = entry.policies.map(
      (association): [string, PolicyAssociation] => [
        association.policyArn,
        association,
      ],
    );
    return { ...entry, clusterName: cluster.name, policies: new Map(policies) };
  });
  return {
    ...cluster,
    entries: new Map(entries.map((entry) => [entry.principalArn, entry])),
  };
}
