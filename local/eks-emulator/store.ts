import { randomUUID } from 'node:crypto';
import {
  type AccessEntryType,
  type AuthenticationMode,
  defaultUsername,
  parsePrincipalArn,
} from '../../core/eks-rules.ts';
import type { Seed } from '../seed.ts';

/** The scope an access policy is granted over. */
export type AccessScope = {
  type: 'cluster' | 'namespace';
  namespaces: string[];
};

/** An access policy associated with an access entry. */
export type PolicyAssociation = {
  policyArn: string;
  accessScope: AccessScope;
  associatedAt: number;
  modifiedAt: number;
};

/** One access entry; times are epoch milliseconds. */
export type AccessEntryRecord = {
  clusterName: string;
  principalArn: string;
  accessEntryArn: string;
  type: AccessEntryType;
  kubernetesGroups: string[];
  username: string;
  tags: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  /** Keyed by policy ARN, in association order. */
  policies: Map<string, PolicyAssociation>;
};

/** One cluster and its access entries, keyed by principal ARN. */
export type ClusterRecord = {
  name: string;
  arn: string;
  endpointId: string;
  authenticationMode: AuthenticationMode;
  tags: Record<string, string>;
  createdAt: number;
  entries: Map<string, AccessEntryRecord>;
};

/** Everything the emulator knows, in memory. */
export type EmulatorState = {
  region: string;
  accountId: string;
  partition: string;
  clusters: Map<string, ClusterRecord>;
};

/** Fields a new access entry is made from. */
export type NewAccessEntry = {
  principalArn: string;
  type: AccessEntryType;
  kubernetesGroups: string[];
  username?: string | undefined;
  tags: Record<string, string>;
};

/** The AWS partition a region belongs to. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

/** Builds the state a seed describes, as if every entry was made `now`. */
export function createState(
  seed: Seed | undefined,
  options: { region: string; accountId: string; now: number },
): EmulatorState {
  const { region, accountId, now } = options;
  const state: EmulatorState = {
    region,
    accountId,
    partition: partitionOf(region),
    clusters: new Map(),
  };
  const arnPrefix = `arn:${state.partition}:eks:${region}:${accountId}`;
  for (const cluster of seed?.clusters ?? []) {
    const record: ClusterRecord = {
      name: cluster.name,
      arn: `${arnPrefix}:cluster/${cluster.name}`,
      endpointId: randomUUID().replaceAll('-', '').toUpperCase(),
      authenticationMode: cluster.authenticationMode,
      tags: { ...cluster.tags },
      createdAt: now,
      entries: new Map(),
    };
    state.clusters.set(cluster.name, record);
    for (const entry of cluster.accessEntries)
      addAccessEntry(state, record, { ...entry, tags: {} }, now);
  }
  return state;
}

/** Stores a new entry, filling in what EKS derives, and returns it. */
export function addAccessEntry(
  state: EmulatorState,
  cluster: ClusterRecord,
  entry: NewAccessEntry,
  now: number,
): AccessEntryRecord {
  const record: AccessEntryRecord = {
    clusterName: cluster.name,
    principalArn: entry.principalArn,
    accessEntryArn: accessEntryArn(state, cluster.name, entry.principalArn),
    type: entry.type,
    kubernetesGroups: [...entry.kubernetesGroups],
    username: entry.username ?? defaultUsername(entry.principalArn, entry.type),
    tags: { ...entry.tags },
    createdAt: now,
    modifiedAt: now,
    policies: new Map(),
  };
  cluster.entries.set(entry.principalArn, record);
  return record;
}

// EKS names the entry after the principal's kind, account and name (not its
// path) plus a UUID, so a re-created principal gets a new ARN.
function accessEntryArn(
  state: EmulatorState,
  clusterName: string,
  principalArn: string,
): string {
  const principal = parsePrincipalArn(principalArn);
  const subject = principal
    ? `${principal.kind}/${principal.accountId}/${principal.name}`
    : 'principal';
  return (
    `arn:${state.partition}:eks:${state.region}:${state.accountId}:` +
    `access-entry/${clusterName}/${subject}/${randomUUID()}`
  );
}

/** Epoch seconds, the form EKS's REST-JSON protocol sends times in. */
export function epochSeconds(millis: number): number {
  return millis / 1000;
}

/** An access entry as EKS returns it. */
export function accessEntryToWire(entry: AccessEntryRecord) {
  return {
    clusterName: entry.clusterName,
    principalArn: entry.principalArn,
    kubernetesGroups: [...entry.kubernetesGroups],
    accessEntryArn: entry.accessEntryArn,
    createdAt: epochSeconds(entry.createdAt),
    modifiedAt: epochSeconds(entry.modifiedAt),
    tags: { ...entry.tags },
    username: entry.username,
    type: entry.type,
  };
}

/** A policy association as EKS returns it. */
export function associationToWire(association: PolicyAssociation) {
  return {
    policyArn: association.policyArn,
    accessScope: {
      type: association.accessScope.type,
      namespaces: [...association.accessScope.namespaces],
    },
    associatedAt: epochSeconds(association.associatedAt),
    modifiedAt: epochSeconds(association.modifiedAt),
  };
}

/** A plain, detached copy of the state, for tests and debugging. */
export function snapshotState(state: EmulatorState) {
  return {
    region: state.region,
    accountId: state.accountId,
    clusters: [...state.clusters.values()].map((cluster) => ({
      name: cluster.name,
      authenticationMode: cluster.authenticationMode,
      tags: { ...cluster.tags },
      accessEntries: [...cluster.entries.values()].map((entry) => ({
        ...accessEntryToWire(entry),
        accessPolicies: [...entry.policies.values()].map(associationToWire),
      })),
    })),
  };
}

/** What {@link snapshotState} returns. */
export type EmulatorSnapshot = ReturnType<typeof snapshotState>;
