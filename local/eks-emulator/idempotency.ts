import { invalidParameter } from './errors.ts';
import type { Body } from './input.ts';
import type { Operation, PathParams } from './routes.ts';

type Remembered = { fingerprint: string; response: unknown };

/** One remembered answer, in the form a state file keeps it. */
export type RememberedToken = {
  operation: Operation;
  token: string;
  fingerprint: string;
  response: unknown;
};

/**
 * Remembers successful answers by `clientRequestToken`, as AWS idempotency
 * does: the same token with the same parameters replays the first answer
 * without acting again; with other parameters it is refused. Failures are
 * not remembered, so a retry after a fault really runs.
 */
export class IdempotencyCache {
  #answers = new Map<string, Remembered>();

  /** The remembered answer for this call, if its token was seen before. */
  replay(operation: Operation, params: PathParams, body: Body): unknown {
    const token = tokenOf(body);
    if (token === undefined) return undefined;
    const remembered = this.#answers.get(`${operation}\n${token}`);
    if (!remembered) return undefined;
    if (remembered.fingerprint !== fingerprint(params, body))
      throw invalidParameter(
        `The clientRequestToken ${token} has already been used with ` +
          'different parameters.',
        params.clusterName ? { clusterName: params.clusterName } : {},
      );
    return remembered.response;
  }

  /** Records a successful answer under the call's token, if it had one. */
  remember(
    operation: Operation,
    params: PathParams,
    body: Body,
    response: unknown,
  ): void {
    const token = tokenOf(body);
    if (token === undefined) return;
    this.#answers.set(`${operation}\n${token}`, {
      fingerprint: fingerprint(params, body),
      response,
    });
  }

  /** Forgets every token. */
  clear(): void {
    this.#answers.clear();
  }

  /** The newest `limit` remembered answers, oldest first. */
  export(limit: number): RememberedToken[] {
    const all = [...this.#answers.entries()].slice(-limit);
    return all.map(([key, remembered]) => {
      const [operation, token] = splitKey(key);
      return { operation, token, ...remembered };
    });
  }

  /** Replaces every remembered answer with those given. */
  import(tokens: readonly RememberedToken[]): void {
    this.#answers.clear();
    for (const { operation, token, fingerprint, response } of tokens)
      this.#answers.set(`${operation}\n${token}`, { fingerprint, response });
  }
}

function splitKey(key: string): [Operation, string] {
  const at = key.indexOf('\n');
  return [key.slice(0, at) as Operation, key.slice(at + 1)];
}

function tokenOf(body: Body): string | undefined {
  const token = body.clientRequestToken;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

// Path and body together identify the call; key order must not matter.
function fingerprint(params: PathParams, body: Body): string {
  const { clientRequestToken: _token, ...rest } = body;
  return canonicalJson({ params, body: rest });
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const members = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(
        ([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`,
      );
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}
