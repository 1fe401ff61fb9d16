import {
  type AccessEntryType,
  checkAccessEntryType,
  checkEntryTypeAllowsGroups,
  checkKubernetesGroups,
  checkPrincipalArn,
  checkPrincipalForType,
  checkUsername,
} from '../../core/eks-rules.ts';
import {
  type OperationHandler,
  requireAccessEntryCluster,
  requireEntry,
} from './context.ts';
import { EksError, throwIfViolated } from './errors.ts';
import {
  type Body,
  optionalString,
  optionalStringList,
  optionalStringMap,
  paginate,
  requiredString,
} from './input.ts';
import { accessEntryToWire, addAccessEntry } from './store.ts';

/** CreateAccessEntry: one entry per principal, EKS's defaults filled in. */
export const createAccessEntry: OperationHandler = (context) => {
  const cluster = requireAccessEntryCluster(context);
  const where = { clusterName: cluster.name };
  const principalArn = requiredString(context.body, 'principalArn');
  throwIfViolated(checkPrincipalArn(principalArn), where);
  const type = readType(context.body, where);
  throwIfViolated(checkPrincipalForType(principalArn, type), where);
  const kubernetesGroups =
    optionalStringList(context.body, 'kubernetesGroups') ?? [];
  const username = optionalString(context.body, 'username');
  checkGroupsAndUsername(type, kubernetesGroups, username, where);

  if (cluster.entries.has(principalArn))
    throw new EksError(
      'ResourceInUseException',
      'The specified access entry resource is already in use on this ' +
        'cluster.',
      where,
    );

  const tags = optionalStringMap(context.body, 'tags') ?? {};
  const entry = addAccessEntry(
    context.state,
    cluster,
    { principalArn, type, kubernetesGroups, username, tags },
    context.now,
  );
  return { accessEntry: accessEntryToWire(entry) };
};

/** DescribeAccessEntry. */
export const describeAccessEntry: OperationHandler = (context) => {
  const cluster = requireAccessEntryCluster(context);
  const entry = requireEntry(context, cluster, { modifies: false });
  return { accessEntry: accessEntryToWire(entry) };
};

/**
 * UpdateAccessEntry: replaces the groups and/or the username given; the
 * type and principal are not request members, so they cannot change.
 */
export const updateAccessEntry: OperationHandler = (context) => {
  const cluster = requireAccessEntryCluster(context);
  const where = { clusterName: cluster.name };
  const entry = requireEntry(context, cluster, { modifies: true });
  const kubernetesGroups = optionalStringList(context.body, 'kubernetesGroups');
  const username = optionalString(context.body, 'username');
  checkGroupsAndUsername(entry.type, kubernetesGroups, username, where);

  if (kubernetesGroups !== undefined)
    entry.kubernetesGroups = [...kubernetesGroups];
  if (username !== undefined) entry.username = username;
  if (kubernetesGroups !== undefined || username !== undefined)
    entry.modifiedAt = context.now;
  return { accessEntry: accessEntryToWire(entry) };
};

/** DeleteAccessEntry: the entry goes, and its policy associations with it. */
export const deleteAccessEntry: OperationHandler = (context) => {
  const cluster = requireAccessEntryCluster(context);
  const entry = requireEntry(context, cluster, { modifies: true });
  cluster.entries.delete(entry.principalArn);
  return {};
};

/** ListAccessEntries: principal ARNs, optionally those holding a policy. */
export const listAccessEntries: OperationHandler = (context) => {
  const cluster = requireAccessEntryCluster(context);
  const policyArn = context.query.get('associatedPolicyArn');
  const entries = [...cluster.entries.values()].filter(
    (entry) => !policyArn || entry.policies.has(policyArn),
  );
  const page = paginate(
    entries.map((entry) => entry.principalArn),
    (arn) => arn,
    context.query,
    `access-entries/${cluster.name}/${policyArn ?? ''}`,
  );
  return { accessEntries: page.items, nextToken: page.nextToken };
};

function readType(body: Body, where: Record<string, string>): AccessEntryType {
  const type = optionalString(body, 'type') ?? 'STANDARD';
  throwIfViolated(checkAccessEntryType(type), where);
  // checkAccessEntryType refuses exactly the strings that are not types.
  return type as AccessEntryType;
}

// An empty group list asks for nothing, so EKS lets node entries send one.
function checkGroupsAndUsername(
  type: string,
  kubernetesGroups: readonly string[] | undefined,
  username: string | undefined,
  where: Record<string, string>,
): void {
  if ((kubernetesGroups?.length ?? 0) > 0 || username !== undefined)
    throwIfViolated(checkEntryTypeAllowsGroups(type), where);
  throwIfViolated(checkKubernetesGroups(kubernetesGroups ?? []), where);
  if (username !== undefined) throwIfViolated(checkUsername(username), where);
}
