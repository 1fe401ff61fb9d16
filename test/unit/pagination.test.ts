import { describe, expect, it } from 'vitest';
import {
  decodeToken,
  encodeToken,
  fingerprint,
  instantParam,
  isIsoInstant,
  limitParam,
} from '../../adapters/pagination.ts';
import { ValidationError } from '../../core/errors.ts';

const KEY = ['id', 'status', 'createdAt'];
const cursor = {
  key: { id: '01A', status: 'REJECTED', createdAt: '2024-03-01T00:00:00.000Z' },
};
const anyCursor = () => true;

function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.details.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('Pagination: nextToken', () => {
  it('round-trips a cursor for the query that made it', () => {
    const print = fingerprint({ status: 'REJECTED' });

    const token = encodeToken(print, cursor);

    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeToken(token, print, KEY, anyCursor)).toEqual(cursor);
  });

  it('carries the day of a day-walking query', () => {
    const print = fingerprint({ from: 'a' });

    const token = encodeToken(print, { day: '2024-03-02' });

    expect(decodeToken(token, print, KEY, anyCursor)).toEqual({
      day: '2024-03-02',
    });
  });

  it.each([
    ['garbage', 'not base64url!'],
    ['JSON that is not a token', Buffer.from('[1,2]').toString('base64url')],
    ['a token without version', Buffer.from('{"f":"x"}').toString('base64url')],
    ['an empty token', ''],
  ])('refuses %s with an issue naming nextToken', (_name, token) => {
    const print = fingerprint({});

    expect(issuesOf(() => decodeToken(token, print, KEY, anyCursor))).toEqual([
      { path: 'nextToken', message: 'is not a token this query returned' },
    ]);
  });

  it('refuses a token made for other filters', () => {
    const token = encodeToken(fingerprint({ status: 'REJECTED' }), cursor);

    expect(() =>
      decodeToken(token, fingerprint({ status: 'FAILED' }), KEY, anyCursor),
    ).toThrow(ValidationError);
  });

  it('refuses a key with other attributes than the index has', () => {
    const print = fingerprint({});
    const token = encodeToken(print, { key: { id: '01A', kind: 'LOCK' } });

    expect(() => decodeToken(token, print, KEY, anyCursor)).toThrow(
      ValidationError,
    );
  });

  it('refuses a cursor the query does not accept', () => {
    const print = fingerprint({});
    const token = encodeToken(print, cursor);

    expect(() => decodeToken(token, print, KEY, () => false)).toThrow(
      'Invalid nextToken',
    );
  });

  it('ties the fingerprint to values, not to key order', () => {
    expect(fingerprint({ a: 1, b: 2 })).toBe(fingerprint({ b: 2, a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
  });
});

describe('Pagination: limit', () => {
  it('defaults to 50 and takes 1 to 100', () => {
    expect(limitParam.parse(undefined)).toBe(50);
    expect(limitParam.parse('1')).toBe(1);
    expect(limitParam.parse('100')).toBe(100);
  });

  it.each(['0', '101', '1.5', 'ten', '', '-1', '1e2'])(
    'refuses %j',
    (value) => {
      const parsed = limitParam.safeParse(value);

      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toBe(
        'must be a whole number from 1 to 100',
      );
    },
  );
});

describe('Pagination: instants', () => {
  it.each([
    ['2024-03-01', '2024-03-01T00:00:00.000Z'],
    ['2024-03-01T10:00Z', '2024-03-01T10:00:00.000Z'],
    ['2024-03-01T10:00:00+02:00', '2024-03-01T08:00:00.000Z'],
    ['2024-03-01T10:00:00.123456Z', '2024-03-01T10:00:00.123Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('normalizes %s to %s', (text, iso) => {
    expect(instantParam.parse(text)).toBe(iso);
  });

  it.each([
    '2023-02-29',
    '2024-02-30',
    '2024-13-01',
    '2024-03-01T10:00:00',
    'yesterday',
    '1709251200',
  ])('refuses %s', (text) => {
    expect(isIsoInstant(text)).toBe(false);
  });
});
