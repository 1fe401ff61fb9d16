import { invalidParameter } from './errors.ts';

/** A parsed JSON request body. */
export type Body = Record<string, unknown>;

/** Reads an optional string member; anything but a string is refused. */
export function optionalString(body: Body, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw notValid(name);
  return value;
}

/** Reads a required string member. */
export function requiredString(body: Body, name: string): string {
  const value = optionalString(body, name);
  if (value === undefined)
    throw invalidParameter(`The ${name} parameter is required.`);
  return value;
}

/** Reads an optional list of strings. */
export function optionalStringList(
  body: Body,
  name: string,
): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw notValid(name);
  return value as string[];
}

/** Reads an optional map of string to string, such as `tags`. */
export function optionalStringMap(
  body: Body,
  name: string,
): Record<string, string> | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'object' ||
    Array.isArray(value) ||
    !Object.values(value).every((v) => typeof v === 'string')
  )
    throw notValid(name);
  return { ...(value as Record<string, string>) };
}

/** Reads an optional nested object. */
export function optionalObject(body: Body, name: string): Body | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw notValid(name);
  return value as Body;
}

/** A page of a list and the token for the next one. */
export type Page<T> = { items: T[]; nextToken?: string };

/**
 * Cuts one page out of a list ordered by `key`. The token names the last
 * key served, not an offset, so deleting items between calls neither skips
 * nor repeats the rest; it is opaque to callers.
 */
export function paginate<T>(
  items: readonly T[],
  key: (item: T) => string,
  query: URLSearchParams,
  scope: string,
): Page<T> {
  const maxResults = readMaxResults(query);
  const after = readNextToken(query, scope);
  const sorted = [...items].sort((a, b) => compare(key(a), key(b)));
  const rest =
    after === undefined
      ? sorted
      : sorted.filter((item) => compare(key(item), after) > 0);
  const pageItems = rest.slice(0, maxResults);
  const last = pageItems.at(-1);
  if (rest.length <= maxResults || last === undefined)
    return { items: pageItems };
  return { items: pageItems, nextToken: encodeToken(scope, key(last)) };
}

function readMaxResults(query: URLSearchParams): number {
  const raw = query.get('maxResults');
  if (raw === null) return 100;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 100)
    throw invalidParameter(
      'The maxResults parameter value must be between 1 and 100.',
    );
  return value;
}

function readNextToken(
  query: URLSearchParams,
  scope: string,
): string | undefined {
  const raw = query.get('nextToken');
  if (raw === null || raw === '') return undefined;
  try {
    const decoded = JSON.parse(
      Buffer.from(raw, 'base64url').toString('utf8'),
    ) as unknown;
    if (
      Array.isArray(decoded) &&
      decoded[0] === scope &&
      typeof decoded[1] === 'string'
    )
      return decoded[1];
  } catch {
    // Falls through to the same answer as a well-formed foreign token.
  }
  throw invalidParameter('The nextToken parameter value is not valid.');
}

function encodeToken(scope: string, lastKey: string): string {
  return Buffer.from(JSON.stringify([scope, lastKey])).toString('base64url');
}

function compare(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

function notValid(name: string) {
  return invalidParameter(`The ${name} parameter value is not valid.`);
}
