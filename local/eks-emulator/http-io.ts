import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EksError, invalidParameter } from './errors.ts';
import type { Body } from './input.ts';

/** Larger bodies are refused rather than buffered; EKS's are tiny. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Reads the whole request body as text, refusing oversized ones. */
export async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES)
      throw invalidParameter('The request body is too large.');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON object body; an empty body is an empty object. */
export function parseBody(text: string): Body {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidParameter('The request body is not valid JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw invalidParameter('The request body must be a JSON object.');
  return parsed as Body;
}

/** Sends a JSON answer with the headers the SDK reads. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  response.end(text);
}

/** Sends an error the way EKS does: type in a header, message in the body. */
export function sendError(response: ServerResponse, error: unknown): void {
  const eksError =
    error instanceof EksError
      ? error
      : new EksError('ServerException', 'An internal error occurred.');
  sendJson(response, eksError.status, eksError.toBody(), {
    'x-amzn-ErrorType': eksError.name,
  });
}
