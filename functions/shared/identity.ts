import { config } from '../../adapters/config.ts';
import { UnauthenticatedError } from '../../core/errors.ts';
import type { HttpEvent } from './http.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface AuthorizerContext {
  jwt?: { claims?: Record<string, unknown> };
  iam?: { userArn?: string };
}

/**
 * The caller's identity: a lower-cased e-mail from the JWT `email` claim or
 * the IAM role session name; locally, the `X-Local-User` header, which the
 * deployed API never reads.
 */
export function callerIdentity(event: HttpEvent): string {
  const candidate = rawIdentity(event)?.trim().toLowerCase();
  if (!candidate || !EMAIL.test(candidate)) {
    throw new UnauthenticatedError(
      'The caller has no e-mail identity (JWT email claim, IAM session name' +
        (config.trustLocalIdentityHeader() ? ' or X-Local-User header)' : ')'),
    );
  }
  return candidate;
}

function rawIdentity(event: HttpEvent): string | undefined {
  if (config.trustLocalIdentityHeader()) {
    return event.headers?.['x-local-user'];
  }
  const authorizer = (
    event.requestContext as { authorizer?: AuthorizerContext }
  ).authorizer;
  const email = authorizer?.jwt?.claims?.email;
  if (typeof email === 'string') return email;
  const arn = authorizer?.iam?.userArn;
  // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION: the session is the user.
  const session = arn?.match(/:assumed-role\/[^/]+\/(.+)$/)?.[1];
  return session;
}
