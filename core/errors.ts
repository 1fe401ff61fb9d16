/**
 * Domain errors. Each carries a stable `code` (the one CONTRACT.md names),
 * the HTTP status it maps to at the edge, and context fields that are safe
 * to show to the caller.
 */
export class AppError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly details: Record<string, unknown>;

  constructor(
    code: string,
    statusCode: number,
    message: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = code;
    this.code = code;
    this.statusCode = statusCode;
    this.details = details;
  }
}

/** One problem with the input: where it is and what rule it breaks. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export class ValidationError extends AppError {
  constructor(issues: ValidationIssue[], message = 'The request is invalid') {
    super('ValidationError', 400, message, { issues });
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'No caller identity was presented') {
    super('Unauthenticated', 401, message);
  }
}

export class PolicyDeniedError extends AppError {
  constructor(reasons: string[], message = 'Denied by policy') {
    super('PolicyDenied', 403, message, { reasons });
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('NotFound', 404, message, details);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('Conflict', 409, message, details);
  }
}

export class UnsupportedEntryError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('UnsupportedEntry', 422, message, details);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super('PayloadTooLarge', 413, `The body is over ${limitBytes} bytes`, {
      limitBytes,
    });
  }
}
