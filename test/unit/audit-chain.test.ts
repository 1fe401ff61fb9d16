import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  canonicalJson,
  chainEvents,
  GENESIS_HASH,
  hashEvent,
  nextEvent,
  verifyChain,
} from '../../core/audit-chain.ts';

const TYPES = ['REQUESTED', 'POLICY_EVALUATED', 'APPROVED'] as const;

/** A chain of `n` events of one request. */
function chain(n = 5): AuditEvent[] {
  return chainEvents(
    { seq: 0, hash: GENESIS_HASH },
    Array.from({ length: n }, (_, i) => ({
      requestId: 'r1',
      type: TYPES[i % TYPES.length] ?? 'REQUESTED',
      actor: i === 0 ? 'alice@example.com' : 'system',
      at: `2025-01-01T00:00:0${i}.000Z`,
      details: { step: i, nested: { b: 1, a: [i, 'x'] } },
    })),
  );
}

const head = (events: AuditEvent[]) => {
  const last = events.at(-1);
  return { seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH };
};

describe('Function: canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    const value = { b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } };

    expect(canonicalJson(value)).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('writes undefined array items as null, as JSON.stringify does', () => {
    expect(canonicalJson([1, undefined, 'x'])).toBe(
      JSON.stringify([1, undefined, 'x']),
    );
  });

  it('gives the same text whatever order the keys were built in', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());

        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
        expect(JSON.parse(canonicalJson(record))).toEqual(
          JSON.parse(JSON.stringify(record)),
        );
      }),
    );
  });
});

describe('Function: hashEvent', () => {
  it('is SHA-256 over the canonical JSON of the event without hash', () => {
    const [event] = chain(1);
    const { hash, ...rest } = event as AuditEvent;
    const expected = createHash('sha256')
      .update(canonicalJson(rest))
      .digest('hex');

    expect(hash).toBe(expected);
    expect(hashEvent(event as AuditEvent)).toBe(expected);
  });

  it('does not depend on the order of the fields', () => {
    const [event] = chain(1) as [AuditEvent];
    const shuffled = Object.fromEntries(
      Object.entries(event).reverse(),
    ) as unknown as AuditEvent;

    expect(hashEvent(shuffled)).toBe(event.hash);
  });
});

describe('Function: nextEvent', () => {
  it('links the first event to 64 zeros and counts seq from 1', () => {
    const [first, second] = chain(2);

    expect(first).toMatchObject({ seq: 1, prevHash: '0'.repeat(64) });
    expect(second).toMatchObject({ seq: 2, prevHash: first?.hash });
  });

  it('appends to a head where chainEvents left off', () => {
    const events = chain(3);
    const appended = nextEvent(head(events), {
      requestId: 'r1',
      type: 'EXECUTION_STARTED',
      actor: 'system',
      at: '2025-01-01T00:01:00.000Z',
      details: {},
    });

    expect(verifyChain([...events, appended])).toEqual({ valid: true });
  });
});

describe('Function: verifyChain', () => {
  it('accepts an intact chain, with and without its head', () => {
    const events = chain();

    expect(verifyChain(events)).toEqual({ valid: true });
    expect(verifyChain(events, head(events))).toEqual({ valid: true });
    expect(verifyChain([], { seq: 0, hash: GENESIS_HASH })).toEqual({
      valid: true,
    });
  });

  it('catches an edited field at the edited event', () => {
    const events = chain();
    events[2] = { ...(events[2] as AuditEvent), actor: 'mallory@example.com' };

    expect(verifyChain(events)).toEqual({
      valid: false,
      brokenAt: 3,
      problem: 'hash mismatch',
    });
  });

  it('catches an edited detail nested deep inside an event', () => {
    const events = chain();
    const edited = events[1] as AuditEvent;
    events[1] = { ...edited, details: { ...edited.details, step: 99 } };

    expect(verifyChain(events)).toMatchObject({ valid: false, brokenAt: 2 });
  });

  it('catches a deleted event as a gap at its seq', () => {
    const events = chain();
    events.splice(1, 1);

    expect(verifyChain(events)).toEqual({
      valid: false,
      brokenAt: 2,
      problem: 'seq gap',
    });
  });

  it('catches a swapped pair at the first of them', () => {
    const events = chain();
    const swapped = [events[0], events[2], events[1], events[3], events[4]];

    expect(verifyChain(swapped as AuditEvent[])).toMatchObject({
      valid: false,
      brokenAt: 2,
    });
  });

  it('catches a swapped pair even with seq renumbered and rehashed', () => {
    const events = chain();
    const third = { ...(events[2] as AuditEvent), seq: 2 };
    const forged = { ...third, hash: hashEvent(third) };

    expect(
      verifyChain([events[0], forged, ...events.slice(2)] as AuditEvent[]),
    ).toEqual({ valid: false, brokenAt: 2, problem: 'broken link' });
  });

  it('catches an inserted event at the place it was inserted', () => {
    const events = chain();
    const intruder = nextEvent(head(events.slice(0, 2)), {
      requestId: 'r1',
      type: 'APPROVED',
      actor: 'mallory@example.com',
      at: '2025-01-01T00:00:02.500Z',
      details: {},
    });
    const renumbered = events.slice(2).map((e) => ({ ...e, seq: e.seq + 1 }));

    expect(
      verifyChain([...events.slice(0, 2), intruder, ...renumbered]),
    ).toEqual({ valid: false, brokenAt: 4, problem: 'broken link' });
  });

  it('catches events cut from the end when the head is given', () => {
    const events = chain();

    expect(verifyChain(events.slice(0, 3))).toEqual({ valid: true });
    expect(verifyChain(events.slice(0, 3), head(events))).toEqual({
      valid: false,
      brokenAt: 4,
      problem: 'events missing at the end',
    });
    expect(verifyChain([], head(events))).toMatchObject({ brokenAt: 1 });
  });

  it('catches a last event replaced by a well-formed forgery through the head', () => {
    const events = chain();
    const forged = nextEvent(head(events.slice(0, 4)), {
      requestId: 'r1',
      type: 'APPROVED',
      actor: 'mallory@example.com',
      at: '2025-01-01T00:00:04.000Z',
      details: {},
    });

    expect(verifyChain([...events.slice(0, 4), forged])).toEqual({
      valid: true,
    });
    expect(verifyChain([...events.slice(0, 4), forged], head(events))).toEqual({
      valid: false,
      brokenAt: 5,
      problem: 'head mismatch',
    });
  });

  it('finds any single edited event at its own seq', () => {
    fc.assert(
      fc.property(fc.nat({ max: 4 }), fc.string(), (index, actor) => {
        const events = chain();
        const original = events[index] as AuditEvent;
        fc.pre(actor !== original.actor);
        events[index] = { ...original, actor };

        expect(verifyChain(events).brokenAt).toBe(index + 1);
      }),
    );
  });
});
