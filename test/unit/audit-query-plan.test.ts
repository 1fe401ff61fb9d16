import { describe, expect, it } from 'vitest';
import {
  auditFiltersSchema,
  planAuditQuery,
} from '../../adapters/audit-query.ts';
import { planRequestQuery } from '../../adapters/request-query.ts';

const ARN = 'arn:aws:iam::111122223333:role/developers';

describe('GET /requests: index choice', () => {
  it.each([
    [{}, 'byCreated', 'REQUEST', {}],
    [
      { status: 'FAILED' as const },
      'byCreated',
      'REQUEST',
      { status: 'FAILED' },
    ],
    [
      { clusterName: 'demo', status: 'FAILED' as const },
      'byCluster',
      'demo',
      { status: 'FAILED' },
    ],
    [
      { clusterName: 'demo', requestedBy: 'a@x.io' },
      'byRequester',
      'a@x.io',
      { clusterName: 'demo' },
    ],
    [
      { clusterName: 'demo', principalArn: ARN, requestedBy: 'a@x.io' },
      'byPrincipal',
      `demo#${ARN}`,
      { requestedBy: 'a@x.io' },
    ],
    [{ principalArn: ARN }, 'byCreated', 'REQUEST', { principalArn: ARN }],
  ])('queries %j through %s', (filters, index, partition, rest) => {
    expect(planRequestQuery(filters)).toEqual({ index, partition, rest });
  });
});

describe('GET /audit: index choice and range rules', () => {
  it('uses the principal index for a cluster and principal, the rest as filters', () => {
    expect(
      planAuditQuery({ clusterName: 'demo', principalArn: ARN, actor: 'x' }),
    ).toEqual({
      index: 'byPrincipal',
      partition: `demo#${ARN}`,
      rest: { actor: 'x' },
    });
  });

  it('walks days for an actor when no principal narrows more, filtering on it', () => {
    expect(planAuditQuery({ actor: 'system', clusterName: 'demo' })).toEqual({
      index: 'byDay',
      rest: { actor: 'system', clusterName: 'demo' },
    });
  });

  it('refuses an actor without a range, naming from and to', () => {
    const parsed = auditFiltersSchema.safeParse({ actor: 'system' });

    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({
        path: ['from'],
        message: 'is required unless clusterName with principalArn is given',
      }),
      expect.objectContaining({ path: ['to'] }),
    ]);
  });

  it('walks days for anything else, and then needs from and to', () => {
    const parsed = auditFiltersSchema.safeParse({ principalArn: ARN });

    expect(planAuditQuery({ principalArn: ARN }).index).toBe('byDay');
    expect(parsed.error?.issues.map((issue) => issue.path)).toEqual([
      ['from'],
      ['to'],
    ]);
  });

  it('allows an open range when an index bounds the query', () => {
    const parsed = auditFiltersSchema.safeParse({
      clusterName: 'demo',
      principalArn: ARN,
      actor: 'System',
      from: '2024-01-01',
    });

    expect(parsed.data).toEqual({
      clusterName: 'demo',
      principalArn: ARN,
      actor: 'system',
      from: '2024-01-01T00:00:00.000Z',
    });
  });

  it('refuses a day walk over more than 366 days, but not 366', () => {
    const over = auditFiltersSchema.safeParse({
      from: '2024-01-01',
      to: '2025-01-01T00:00:00.001Z',
    });
    const exactly = auditFiltersSchema.safeParse({
      from: '2024-01-01',
      to: '2025-01-01',
    });

    expect(over.error?.issues[0]).toMatchObject({
      path: ['to'],
      message: 'must be at most 366 days after from',
    });
    expect(exactly.success).toBe(true);
  });
});
