import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { AUDIT_EVENT_TYPES } from '../../core/audit-chain.ts';
import {
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  PolicyDeniedError,
  UnauthenticatedError,
  UnsupportedEntryError,
  ValidationError,
} from '../../core/errors.ts';
import { submitRequestSchema } from '../../core/request-schema.ts';
import { STATUSES } from '../../core/status.ts';
import { ROUTES } from '../../functions/routes.ts';

const spec = parse(
  readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'),
) as any;
const schemas = spec.components.schemas;

const operations = Object.entries(spec.paths as Record<string, any>).flatMap(
  ([path, item]) =>
    Object.entries(item)
      .filter(([method]) =>
        ['get', 'post', 'put', 'patch', 'delete'].includes(method),
      )
      .map(([method, op]: [string, any]) => ({
        key: `${method.toUpperCase()} ${path}`,
        op,
      })),
);

/** The schema without the documentation keys JSON Schema output lacks. */
function shape(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(shape);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => key !== 'description')
      .map(([key, value]) => [key, shape(value)]),
  );
}

describe('openapi.yaml', () => {
  it('is OpenAPI 3.1', () => {
    expect(spec.openapi).toBe('3.1.0');
  });

  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`]))(
    'documents the implemented route %s',
    (key) => {
      const found = operations.find((operation) => operation.key === key);

      expect(found).toBeDefined();
      expect(found?.op['x-planned']).toBeUndefined();
    },
  );

  it('marks every operation without a handler as planned', () => {
    const implemented = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    const unmarked = operations
      .filter(
        ({ key, op }) => !implemented.has(key) && op['x-planned'] !== true,
      )
      .map(({ key }) => key);

    expect(unmarked).toEqual([]);
  });

  it('leaves only the Slack callback without an authorizer', () => {
    const open = operations
      .filter(
        ({ op }) => Array.isArray(op.security) && op.security.length === 0,
      )
      .map(({ key }) => key);

    expect(open).toEqual(['POST /slack/interactions']);
    expect(spec.security).toEqual([{ sigv4: [] }, { jwt: [] }]);
  });

  it('describes the POST /requests body exactly as submitRequestSchema', () => {
    const fromZod = z.toJSONSchema(submitRequestSchema, { io: 'input' }) as any;
    const documented = schemas.SubmitRequest;

    expect(shape(documented.properties)).toEqual(fromZod.properties);
    expect([...documented.required].sort()).toEqual(
      [...fromZod.required].sort(),
    );
    expect(documented.additionalProperties).toBe(false);
    expect(fromZod.additionalProperties).toBe(false);
  });

  it('requires kubernetesGroups or username, as the schema refinement does', () => {
    const base = {
      clusterName: 'demo',
      principalArn: 'arn:aws:iam::1:role/x',
      reason: 'why not',
    };

    expect(submitRequestSchema.safeParse(base).success).toBe(false);
    expect(
      submitRequestSchema.safeParse({ ...base, username: 'u' }).success,
    ).toBe(true);
    expect(
      submitRequestSchema.safeParse({ ...base, kubernetesGroups: [] }).success,
    ).toBe(true);
    expect(schemas.SubmitRequest.anyOf).toEqual([
      { required: ['kubernetesGroups'] },
      { required: ['username'] },
    ]);
  });

  it('answers POST /requests with every status of CONTRACT.md', () => {
    const post = spec.paths['/requests'].post;

    expect(Object.keys(post.responses)).toEqual(
      expect.arrayContaining([
        '202',
        '400',
        '401',
        '403',
        '404',
        '409',
        '413',
        '422',
      ]),
    );
  });

  it.each(
    [
      new ValidationError([]),
      new UnauthenticatedError(),
      new PolicyDeniedError([]),
      new NotFoundError('x'),
      new ConflictError('x'),
      new PayloadTooLargeError(1),
      new UnsupportedEntryError('x'),
    ].map((error) => [error.code, error] as const),
  )('documents the %s error with its status and code', (code, error) => {
    const response =
      spec.paths['/requests'].post.responses[String(error.statusCode)];
    const name = String(response?.$ref).split('/').at(-1) ?? '';

    expect(spec.components.responses[name]?.description).toContain(
      `code ${code}`,
    );
  });

  it('lists the statuses and audit event types the code knows', () => {
    expect(schemas.Status.enum).toEqual([...STATUSES]);
    expect(schemas.AuditEventType.enum).toEqual([...AUDIT_EVENT_TYPES]);
  });

  it('resolves every $ref', () => {
    const refs = [
      ...JSON.stringify(spec).matchAll(/"\$ref":"#\/([^"]+)"/g),
    ].map((match) => match[1] ?? '');
    const missing = refs.filter(
      (ref) =>
        ref.split('/').reduce((node: any, part) => node?.[part], spec) ===
        undefined,
    );

    expect(refs.length).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});
