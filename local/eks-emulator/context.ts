import {
  checkAuthenticationMode,
  checkPrincipalArn,
} from '../../core/eks-rules.ts';
import { clusterNotFound, entryNotFound, throwIfViolated } from './errors.ts';
import type { Body } from './input.ts';
import type { PathParams } from './routes.ts';
import type {
  AccessEntryRecord,
  ClusterRecord,
  EmulatorState,
} from './store.ts';

/** What an operation handler gets to work with. */
export type OperationContext = {
  state: EmulatorState;
  params: PathParams;
  query: URLSearchParams;
  body: Body;
  /** Epoch milliseconds, fixed for the whole call. */
  now: number;
};

/** Computes the JSON body of a successful answer, or throws an EksError. */
export type OperationHandler = (context: OperationContext) => unknown;

/** The cluster named in the path, or EKS's not-found error. */
export function requireCluster(context: OperationContext): ClusterRecord {
  const name = context.params.clusterName as string;
  const cluster = context.state.clusters.get(name);
  if (!cluster) throw clusterNotFound(name);
  return cluster;
}

/**
 * The cluster named in the path, refused unless its authentication mode
 * serves the access-entry API, as every access-entry operation is.
 */
export function requireAccessEntryCluster(
  context: OperationContext,
): ClusterRecord {
  const cluster = requireCluster(context);
  throwIfViolated(checkAuthenticationMode(cluster.authenticationMode), {
    clusterName: cluster.name,
  });
  return cluster;
}

/**
 * The access entry for the principal in the path. Operations that change
 * an entry also refuse principals no entry may ever have, before looking.
 */
export function requireEntry(
  context: OperationContext,
  cluster: ClusterRecord,
  options: { modifies: boolean },
): AccessEntryRecord {
  const principalArn = context.params.principalArn as string;
  if (options.modifies)
    throwIfViolated(checkPrincipalArn(principalArn), {
      clusterName: cluster.name,
    });
  const entry = cluster.entries.get(principalArn);
  if (!entry) throw entryNotFound(cluster.name);
  return entry;
}
