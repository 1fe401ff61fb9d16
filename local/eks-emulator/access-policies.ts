/** An EKS cluster access policy, as ListAccessPolicies returns it. */
export type AccessPolicy = { name: string; arn: string };

/**
 * The AWS-managed cluster access policies. They are global (no region, the
 * account is literally `aws`), so only the partition varies.
 */
const POLICY_NAMES = [
  'AmazonAIOpsAssistantPolicy',
  'AmazonEKSAdminPolicy',
  'AmazonEKSAdminViewPolicy',
  'AmazonEKSAutoNodePolicy',
  'AmazonEKSBlockStoragePolicy',
  'AmazonEKSClusterAdminPolicy',
  'AmazonEKSComputePolicy',
  'AmazonEKSEditPolicy',
  'AmazonEKSHybridPolicy',
  'AmazonEKSLoadBalancingPolicy',
  'AmazonEKSNetworkingPolicy',
  'AmazonEKSSecretReaderPolicy',
  'AmazonEKSViewPolicy',
  'AmazonEMRJobPolicy',
  'AmazonSagemakerHyperpodClusterSchedulerPolicy',
  'AmazonSagemakerHyperpodControllerPolicy',
  'AmazonSagemakerHyperpodSystemNamespacePolicy',
] as const;

/** The one policy EKS lets an Auto Mode (`EC2`) node entry hold. */
export const AUTO_NODE_POLICY_NAME = 'AmazonEKSAutoNodePolicy';

/** The catalog of access policies in a partition, sorted by name. */
export function accessPolicies(partition: string): AccessPolicy[] {
  return POLICY_NAMES.map((name) => ({
    name,
    arn: accessPolicyArn(partition, name),
  }));
}

/** The ARN of a cluster access policy. */
export function accessPolicyArn(partition: string, name: string): string {
  return `arn:${partition}:eks::aws:cluster-access-policy/${name}`;
}
