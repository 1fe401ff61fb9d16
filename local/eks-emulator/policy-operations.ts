import { checkEntryTypeAllowsGroups } from '../../core/eks-rules.ts';
import {
  AUTO_NODE_POLICY_NAME,
  accessPolicies,
  accessPolicyArn,
} from './access-policies.ts';
import {
  type OperationContext,
  type OperationHandler,
  requireAccessEntryCluster,
  requireEntry,
} from './context.ts';
import { EksError, invalidParameter, throwIfViolated } from './errors.ts';
import {
  optionalObject,
  optionalStringList,
  paginate,
  requiredString,
} from './input.ts';
import {
  type AccessEntryRecord,
  type AccessScope,
  associationToWire,
} from './store.ts';

const POLICY_ARN = /^arn:[\w-]+:eks::aws:cluster-access-policy\/[\w-]+$/;

/**
 * AssociateAccessPolicy: grants a policy over a scope; associating it
 * again replaces the scope and keeps the first association time.
 */
export const associateAccessPolicy: OperationHandler = (context) => {
  const cluster = requireAccessEntryCluster(context);
  const where = { clusterName: cluster.name };
  const entry = requireEntry(context, cluster, { modifies: true });
  const policyArn = requirePolicyArn(context, where);
  checkEntryTakesPolicy(context, entry, policyArn, where);
  const accessScope = readAccessScope(context, where);

  const existing = entry.policies.get(policyArn);
  const association = {
    policyArn,
    accessScope,
    associatedAt: existing?.associatedAt ?? context.now,
    modifiedAt: context.now,
  };
  entry.policies.set(policyArn, association);
  return {
    clusterName: cluster.name,
    principalArn: entry.principalArn,
    associatedAccessPolicy: associationToWire(association),
  };
};

/** DisassociateAccessPolicy. */
export const disassociateAccessPolicy: OperationHandler = (context) => {
  const cluster = requireAccessEntryCluster(context);
  const entry = requireEntry(context, cluster, { modifies: true });
  const policyArn = context.params.policyArn as string;
  if (!entry.policies.delete(policyArn))
    throw new EksError(
      'ResourceNotFoundException',
      'The specified policyArn is not associated with the access entry.',
      { clusterName: cluster.name },
    );
  return {};
};

/** ListAssociatedAccessPolicies. */
export const listAssociatedAccessPolicies: OperationHandler = (context) => {
  const cluster = requireAccessEntryCluster(context);
  const entry = requireEntry(context, cluster, { modifies: false });
  const page = paginate(
    [...entry.policies.values()],
    (association) => association.policyArn,
    context.query,
    `access-policies/${cluster.name}/${entry.principalArn}`,
  );
  return {
    clusterName: cluster.name,
    principalArn: entry.principalArn,
    associatedAccessPolicies: page.items.map(associationToWire),
    nextToken: page.nextToken,
  };
};

/** ListAccessPolicies: the managed catalog, not tied to any cluster. */
export const listAccessPolicies: OperationHandler = (context) => {
  const page = paginate(
    accessPolicies(context.state.partition),
    (policy) => policy.name,
    context.query,
    'access-policies',
  );
  return { accessPolicies: page.items, nextToken: page.nextToken };
};

function requirePolicyArn(
  context: OperationContext,
  where: Record<string, string>,
): string {
  const policyArn = requiredString(context.body, 'policyArn');
  if (!POLICY_ARN.test(policyArn))
    throw invalidParameter(
      'The policyArn parameter format is not valid',
      where,
    );
  const known = accessPolicies(context.state.partition).some(
    (policy) => policy.arn === policyArn,
  );
  if (!known)
    throw new EksError(
      'ResourceNotFoundException',
      'The specified policyArn could not be found. You can view the ' +
        "available access policies with 'list-access-policies'.",
      where,
    );
  return policyArn;
}

// Auto Mode node entries are the one exception: they hold the node policy.
function checkEntryTakesPolicy(
  context: OperationContext,
  entry: AccessEntryRecord,
  policyArn: string,
  where: Record<string, string>,
): void {
  const autoNodePolicy = accessPolicyArn(
    context.state.partition,
    AUTO_NODE_POLICY_NAME,
  );
  if (entry.type === 'EC2' && policyArn === autoNodePolicy) return;
  throwIfViolated(checkEntryTypeAllowsGroups(entry.type), where);
}

function readAccessScope(
  context: OperationContext,
  where: Record<string, string>,
): AccessScope {
  const scope = optionalObject(context.body, 'accessScope');
  if (!scope) throw invalidParameter('The accessScope parameter is required.');
  const type = scope.type;
  const namespaces = optionalStringList(scope, 'namespaces') ?? [];
  if (type !== 'cluster' && type !== 'namespace')
    throw invalidParameter(
      `The accessScope type ${String(type)} is invalid, it must be one of ` +
        '[cluster, namespace]',
      where,
    );
  if (type === 'namespace' && namespaces.length === 0)
    throw invalidParameter(
      'The accessScope namespaces parameter is required when the ' +
        'accessScope type is namespace.',
      where,
    );
  if (type === 'cluster' && namespaces.length > 0)
    throw invalidParameter(
      'The accessScope namespaces parameter can only be specified when the ' +
        'accessScope type is namespace.',
      where,
    );
  if (namespaces.some((namespace) => namespace === ''))
    throw invalidParameter(
      'The accessScope namespaces parameter cannot contain an empty name.',
      where,
    );
  return { type, namespaces: [...namespaces] };
}
