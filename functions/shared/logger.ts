import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured logger per function instance. Business ids are appended as
 * keys (`requestId`, `clusterName`); events, tokens and secrets never are.
 */
export const logger = new Logger({ serviceName: 'eks-access-gate' });
