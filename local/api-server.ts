import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { ROUTES } from '../functions/routes.ts';
import { lambdaContext } from './lambda-context.ts';

export type HttpFunction = (
  event: APIGatewayProxyEventV2,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Local-only routes answered by the stack itself. */
export type LocalRoute = (
  url: URL,
) => Promise<{ status: number; body: unknown }> | undefined;

/** API Gateway refuses bodies over 10 MB; so does the local server. */
const MAX_READ_BYTES = 10 * 1024 * 1024;

interface Matched {
  routeKey: string;
  fn: string;
  pathParameters: Record<string, string>;
}

function match(method: string, path: string): Matched | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((segment, index) => {
      const part = parts[index] ?? '';
      if (segment.startsWith('{')) {
        params[segment.slice(1, -1)] = decodeURIComponent(part);
        return true;
      }
      return segment === part;
    });
    if (ok) {
      return {
        routeKey: `${route.method} ${route.path}`,
        fn: route.fn,
        pathParameters: params,
      };
    }
  }
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_READ_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * A node:http server that turns requests into API Gateway HTTP API
 * (payload v2) events for the same handlers Lambda runs.
 */
export function createApiServer(
  functions: Record<string, HttpFunction>,
  localRoutes: LocalRoute,
): Server {
  return createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      const local = method === 'GET' ? localRoutes(url) : undefined;
      if (local) {
        const { status, body } = await local;
        send(res, status, body);
        return;
      }
      let route: Matched | undefined;
      try {
        route = match(method, url.pathname);
      } catch {
        // API Gateway answers a malformed percent-encoding with 400 too.
        send(res, 400, {
          error: { code: 'BadRequest', message: 'Malformed path encoding' },
        });
        return;
      }
      const fn = route ? functions[route.fn] : undefined;
      if (!route || !fn) {
        send(res, 404, {
          error: {
            code: 'NotFound',
            message: `No route ${method} ${url.pathname}`,
          },
        });
        return;
      }
      const body = await readBody(req);
      if (body === undefined) {
        send(res, 413, {
          error: { code: 'PayloadTooLarge', message: 'Request too large' },
        });
        return;
      }
      const result = await fn(
        toEvent(req, url, route, body),
        lambdaContext(route.fn),
      );
      res.writeHead(result.statusCode ?? 200, {
        'content-type': 'application/json',
        ...(result.headers as Record<string, string> | undefined),
      });
      res.end(result.body ?? '');
    } catch (error) {
      console.error('local API server error', error);
      if (!res.headersSent) {
        send(res, 500, {
          error: { code: 'InternalError', message: 'Internal error' },
        });
      }
    }
  });
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  route: Matched,
  body: Buffer,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) {
      headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const now = new Date();
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    ...(Object.keys(route.pathParameters).length > 0
      ? { pathParameters: route.pathParameters }
      : {}),
    requestContext: {
      accountId: '111122223333',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}

/** Listens on 127.0.0.1 and returns the base URL. */
export async function listen(server: Server, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
