import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch metrics (EMF) of the workflow's outcomes. */
const metrics = new Metrics({
  namespace: 'EksAccessGate',
  serviceName: 'eks-access-gate',
});

export type OutcomeMetric =
  | 'RequestsSubmitted'
  | 'RequestsApproved'
  | 'RequestsRejected'
  | 'RequestsExpired'
  | 'RequestsFailed'
  | 'RequestsSucceeded'
  | 'RequestsCancelled';

/** Counts one outcome, published at once. */
export function countOutcome(name: OutcomeMetric, clusterName: string) {
  metrics.addDimension('clusterName', clusterName);
  metrics.addMetric(name, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/** Seconds from submission to the approving decision. */
export function recordApprovalLatency(createdAt: string, clusterName: string) {
  const seconds = (Date.now() - Date.parse(createdAt)) / 1000;
  metrics.addDimension('clusterName', clusterName);
  metrics.addMetric('ApprovalLatency', MetricUnit.Seconds, seconds);
  metrics.publishStoredMetrics();
}
