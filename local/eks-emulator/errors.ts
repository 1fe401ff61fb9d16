import type { EksRuleViolation } from '../../core/eks-rules.ts';

/** HTTP status EKS answers with for each of its error types. */
export const ERROR_STATUS = {
  AccessDeniedException: 403,
  BadRequestException: 400,
  ClientException: 400,
  InvalidParameterException: 400,
  InvalidRequestException: 400,
  InvalidStateException: 400,
  NotFoundException: 404,
  ResourceInUseException: 409,
  ResourceLimitExceededException: 400,
  ResourceNotFoundException: 404,
  ResourcePropagationDelayException: 428,
  ServerException: 500,
  ServiceUnavailableException: 503,
  ThrottlingException: 429,
  UnknownOperationException: 404,
} as const;

/** The name of an error the emulator can send. */
export type EksErrorName = keyof typeof ERROR_STATUS;

/** Messages for injected faults given without one, worded as EKS's. */
const DEFAULT_MESSAGES: Partial<Record<EksErrorName, string>> = {
  AccessDeniedException:
    'User is not authorized to perform this operation on the resource.',
  ServerException: 'An internal error occurred. Please try again later.',
  ServiceUnavailableException:
    'The service is unavailable. Please try again later.',
  ThrottlingException: 'Rate exceeded',
};

/** Narrows a string to an {@link EksErrorName}. */
export function isEksErrorName(name: string): name is EksErrorName {
  return Object.hasOwn(ERROR_STATUS, name);
}

/**
 * An error as EKS sends it: the type goes in `x-amzn-ErrorType`, the
 * message and context fields (such as `clusterName`) in the JSON body.
 */
export class EksError extends Error {
  override readonly name: EksErrorName;
  readonly status: number;
  readonly fields: Readonly<Record<string, string>>;

  constructor(
    name: EksErrorName,
    message?: string,
    fields: Record<string, string> = {},
  ) {
    super(message ?? DEFAULT_MESSAGES[name] ?? `${name} (injected)`);
    this.name = name;
    this.status = ERROR_STATUS[name];
    this.fields = fields;
  }

  /** The JSON body EKS sends with this error. */
  toBody(): Record<string, string> {
    return { ...this.fields, message: this.message };
  }
}

/** Raises a broken rule from `core/eks-rules.ts` as EKS would. */
export function throwIfViolated(
  violation: EksRuleViolation | undefined,
  fields: Record<string, string> = {},
): void {
  if (violation)
    throw new EksError(violation.exception, violation.message, fields);
}

/** A request field EKS refused before looking at any state. */
export function invalidParameter(
  message: string,
  fields: Record<string, string> = {},
): EksError {
  return new EksError('InvalidParameterException', message, fields);
}

/** EKS's answer for a cluster name it does not know. */
export function clusterNotFound(name: string): EksError {
  return new EksError(
    'ResourceNotFoundException',
    `No cluster found for name: ${name}.`,
  );
}

/** EKS's answer for a principal with no access entry on the cluster. */
export function entryNotFound(clusterName: string): EksError {
  return new EksError(
    'ResourceNotFoundException',
    'The specified principalArn could not be found. You can view your ' +
      "available access entries with 'list-access-entries'.",
    { clusterName },
  );
}
