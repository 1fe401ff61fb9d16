/**
 * A faithful, in-memory stand-in for the EKS access-entry API, spoken over
 * EKS's own REST-JSON protocol so the real `@aws-sdk/client-eks` can use it.
 */
export {
  type AccessPolicy,
  accessPolicies,
  accessPolicyArn,
} from './access-policies.ts';
export {
  EksError,
  type EksErrorName,
  ERROR_STATUS,
  isEksErrorName,
} from './errors.ts';
export type { Fault } from './faults.ts';
export { OPERATIONS, type Operation } from './routes.ts';
export {
  createEksEmulator,
  type EksEmulator,
  type EksEmulatorOptions,
} from './server.ts';
export type { EmulatorSnapshot } from './store.ts';
