import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddyfiedHandler } from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { z } from 'zod';
import {
  AppError,
  NotFoundError,
  PayloadTooLargeError,
  ValidationError,
} from '../../core/errors.ts';
import { MAX_BODY_BYTES } from '../../core/request.ts';
import { logger } from './logger.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** A JSON response. */
export function json(statusCode: number, body: unknown): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/** The `{"error": {...}}` body of CONTRACT.md for a domain error. */
export function errorResponse(error: AppError): HttpResult {
  return json(error.statusCode, {
    error: { code: error.code, message: error.message, ...error.details },
  });
}

/**
 * Turns domain errors into their status and body, and anything else into
 * a 500 whose details stay in the log.
 */
const httpErrors = (): middy.MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: async (request) => {
    const { error } = request;
    if (error instanceof AppError) {
      if (error.statusCode >= 500) logger.error('request failed', { error });
      request.response = errorResponse(error);
      return;
    }
    logger.error('unexpected error', { error });
    request.response = json(500, {
      error: { code: 'InternalError', message: 'Internal error' },
    });
  },
});

/** Wraps an HTTP handler with logging context and the error mapping. */
export function httpHandler(
  handler: (event: HttpEvent, context: Context) => Promise<HttpResult>,
): MiddyfiedHandler<HttpEvent, HttpResult> {
  return middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpErrors())
    .handler(handler);
}

/** The raw body as text, decoded, and refused when over the limit. */
export function rawBody(event: HttpEvent): string {
  const body = event.body ?? '';
  const buffer = event.isBase64Encoded
    ? Buffer.from(body, 'base64')
    : Buffer.from(body, 'utf8');
  if (buffer.byteLength > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(MAX_BODY_BYTES);
  }
  return buffer.toString('utf8');
}

/**
 * Parses a JSON body against a schema. Every problem comes back as data:
 * the field's path and the rule it breaks.
 */
export function parseJsonBody<S extends z.ZodType>(
  event: HttpEvent,
  schema: S,
): z.infer<S> {
  const text = rawBody(event);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError(
      [{ path: '', message: 'the body is not valid JSON' }],
      'The body is not valid JSON',
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.flatMap((issue) =>
        // An unknown field is named as its own path, like any other.
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({
              path: [...issue.path, key].join('.'),
              message: 'is not a known field',
            }))
          : [{ path: issue.path.join('.'), message: issue.message }],
      ),
    );
  }
  return parsed.data;
}

/** Request ids are ULIDs: 26 characters of Crockford's base 32. */
export const REQUEST_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * The `{requestId}` path parameter. Anything that is not a request id is
 * answered as the missing request it is, before any read.
 */
export function requestIdParam(event: HttpEvent): string {
  const value = event.pathParameters?.requestId ?? '';
  if (!REQUEST_ID.test(value)) {
    throw new NotFoundError(`No request ${value.slice(0, 64)}`, {
      requestId: value.slice(0, 64),
    });
  }
  return value;
}
