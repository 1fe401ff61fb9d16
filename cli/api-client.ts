/** A small client for the eks-access-gate HTTP API. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly identity: string | undefined,
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown }> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.identity ? { 'x-local-user': this.identity } : {}),
          ...headers,
        },
        ...(body !== undefined
          ? { body: typeof body === 'string' ? body : JSON.stringify(body) }
          : {}),
      });
    } catch (error) {
      throw new Error(
        `Cannot reach ${this.baseUrl}: is the stack running (npm start)? ` +
          `(${(error as Error).message})`,
      );
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      // Not JSON: keep the text.
    }
    return { status: response.status, body: parsed };
  }
}
