import {
  type AccessEntry,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  EKSClient,
  UpdateAccessEntryCommand,
} from '@aws-sdk/client-eks';
import { config, localClientOptions } from './config.ts';

let client: EKSClient | undefined;

function eks(): EKSClient {
  client ??= new EKSClient({
    ...localClientOptions(config.eksEndpoint()),
    // The state machine owns retries: one attempt per task invocation, so
    // every attempt is visible (and audited) as its own execution step.
    maxAttempts: 1,
    requestHandler: { requestTimeout: 10_000, connectionTimeout: 3_000 },
  });
  return client;
}

/** The cluster's access-entry authentication mode. */
export async function describeAuthenticationMode(clusterName: string) {
  const { cluster } = await eks().send(
    new DescribeClusterCommand({ name: clusterName }),
  );
  return cluster?.accessConfig?.authenticationMode ?? 'CONFIG_MAP';
}

export async function describeAccessEntry(
  clusterName: string,
  principalArn: string,
): Promise<AccessEntry> {
  const { accessEntry } = await eks().send(
    new DescribeAccessEntryCommand({ clusterName, principalArn }),
  );
  if (accessEntry === undefined) {
    throw new Error('DescribeAccessEntry returned no entry');
  }
  return accessEntry;
}

export interface AccessEntryUpdate {
  clusterName: string;
  principalArn: string;
  kubernetesGroups: string[];
  username: string;
  clientRequestToken: string;
}

export async function updateAccessEntry(
  update: AccessEntryUpdate,
): Promise<AccessEntry> {
  const { accessEntry } = await eks().send(
    new UpdateAccessEntryCommand(update),
  );
  if (accessEntry === undefined) {
    throw new Error('UpdateAccessEntry returned no entry');
  }
  return accessEntry;
}

/** An SDK entry as plain JSON (dates as ISO strings) for storage. */
export function entryToJson(entry: AccessEntry): Record<string, unknown> {
  return JSON.parse(JSON.stringify(entry)) as Record<string, unknown>;
}
