import { type OperationHandler, requireCluster } from './context.ts';
import { epochSeconds } from './store.ts';

/** The Kubernetes version every emulated cluster reports. */
const KUBERNETES_VERSION = '1.31';

/** DescribeCluster: the fields a caller of the access-entry API reads. */
export const describeCluster: OperationHandler = (context) => {
  const cluster = requireCluster(context);
  const { region, accountId, partition } = context.state;
  const suffix = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return {
    cluster: {
      name: cluster.name,
      arn: cluster.arn,
      createdAt: epochSeconds(cluster.createdAt),
      version: KUBERNETES_VERSION,
      endpoint: `https://${cluster.endpointId}.gr7.${region}.eks.${suffix}`,
      roleArn: `arn:${partition}:iam::${accountId}:role/eks-cluster-role`,
      status: 'ACTIVE',
      platformVersion: 'eks.1',
      tags: { ...cluster.tags },
      accessConfig: {
        bootstrapClusterCreatorAdminPermissions: false,
        authenticationMode: cluster.authenticationMode,
      },
      health: { issues: [] },
    },
  };
};
