import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConflictError } from '../core/errors.ts';
import { config, localClientOptions } from './config.ts';

/** How long an Idempotency-Key is remembered. */
const KEY_TTL_SECONDS = 24 * 60 * 60;

/** What identifies one idempotent call: who, which key, and what body. */
export interface IdempotentCall {
  identity: string;
  key: string;
  /** The parsed JSON body; the same key with another body is refused. */
  payload: unknown;
}

let persistence: DynamoDBPersistenceLayer | undefined;

function store(): DynamoDBPersistenceLayer {
  persistence ??= new DynamoDBPersistenceLayer({
    tableName: config.idempotencyTable(),
    awsSdkV3Client: new DynamoDBClient(
      localClientOptions(config.dynamodbEndpoint()),
    ),
  });
  return persistence;
}

/**
 * Wraps `fn` so that a call with the same identity and Idempotency-Key
 * returns the first call's answer instead of running again (Powertools
 * Idempotency, records in DynamoDB). The key is scoped to the caller, so
 * two users' keys never meet. Only answers are remembered: a call that
 * throws can be retried with the same key.
 */
export function idempotent<C extends IdempotentCall, R>(
  fn: (call: C) => Promise<R>,
): (call: C) => Promise<R> {
  let wrapped: ((call: C) => Promise<R>) | undefined;
  return async (call) => {
    wrapped ??= makeIdempotent(fn, {
      persistenceStore: store(),
      config: new IdempotencyConfig({
        eventKeyJmesPath: '[identity, key]',
        payloadValidationJmesPath: 'payload',
        expiresAfterSeconds: KEY_TTL_SECONDS,
      }),
    });
    try {
      return await wrapped(call);
    } catch (error) {
      if (error instanceof IdempotencyValidationError) {
        throw new ConflictError(
          'This Idempotency-Key was used with a different body',
          { idempotencyKey: call.key },
        );
      }
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw new ConflictError(
          'A request with this Idempotency-Key is still being processed',
          { idempotencyKey: call.key },
        );
      }
      throw error;
    }
  };
}
