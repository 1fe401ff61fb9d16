import { describe, expect, it } from 'vitest';
import {
  atKeyOf,
  staleIndexAttributes,
  toAuditEvent,
  toAuditItem,
} from '../../adapters/audit-item.ts';
import { csvField, csvRow } from '../../cli/audit.ts';
import {
  type AuditEvent,
  GENESIS_HASH,
  hashEvent,
  nextEvent,
} from '../../core/audit-chain.ts';

const SUBJECT = {
  clusterName: 'demo',
  principalArn: 'arn:aws:iam::111122223333:role/developers',
};

function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return nextEvent(
    { seq: overrides.seq ? overrides.seq - 1 : 0, hash: GENESIS_HASH },
    {
      requestId: '01REQ',
      type: 'REQUESTED',
      actor: 'alice@example.com',
      at: '2024-03-01T23:59:59.999Z',
      details: { reason: 'OPS-1' },
      ...overrides,
    },
  );
}

describe('Audit items', () => {
  it('adds the index attributes beside the event', () => {
    const item = toAuditItem(event({ seq: 12 }), SUBJECT);

    expect(item).toMatchObject({
      day: '2024-03-01',
      atKey: '2024-03-01T23:59:59.999Z#01REQ#00000012',
      principalKey: 'demo#arn:aws:iam::111122223333:role/developers',
      clusterName: 'demo',
      principalArn: SUBJECT.principalArn,
    });
  });

  it('strips an item back to exactly the event, whose hash still holds', () => {
    const original = event();
    const item = { ...toAuditItem(original, SUBJECT), extra: 'x' };

    const back = toAuditEvent(item);

    expect(back).toEqual(original);
    expect(Object.keys(back)).toHaveLength(8);
    expect(hashEvent(back)).toBe(original.hash);
  });

  it('sorts atKeys in time order, then by request and seq', () => {
    const keys = [
      atKeyOf({ at: '2024-03-01T10:00:00.000Z', requestId: 'B', seq: 1 }),
      atKeyOf({ at: '2024-03-01T09:59:59.999Z', requestId: 'Z', seq: 9 }),
      atKeyOf({ at: '2024-03-01T10:00:00.000Z', requestId: 'A', seq: 10 }),
      atKeyOf({ at: '2024-03-01T10:00:00.000Z', requestId: 'A', seq: 2 }),
    ];

    expect([...keys].sort()).toEqual([keys[1], keys[3], keys[2], keys[0]]);
  });

  it('names index attributes that no longer match the event', () => {
    const item = toAuditItem(event(), SUBJECT);

    expect(staleIndexAttributes(item, SUBJECT)).toEqual([]);
    expect(
      staleIndexAttributes({ ...item, day: '2024-03-02' }, SUBJECT),
    ).toEqual(['day']);
    expect(
      staleIndexAttributes(item, { ...SUBJECT, clusterName: 'prod' }),
    ).toEqual(['principalKey', 'clusterName']);
  });
});

describe('Audit export: CSV', () => {
  it('quotes fields with commas, quotes, line breaks or edge spaces only', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
  });

  it('writes an event in the columns of CONTRACT.md, details as JSON', () => {
    const row = csvRow(event({ details: { b: 'x,y', a: 1 } }));

    expect(row.split(',').slice(0, 5)).toEqual([
      '01REQ',
      '1',
      'REQUESTED',
      'alice@example.com',
      '2024-03-01T23:59:59.999Z',
    ]);
    expect(row).toContain(',"{""a"":1,""b"":""x,y""}",');
  });
});
