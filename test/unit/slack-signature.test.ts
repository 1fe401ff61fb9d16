import { verifySlackRequest } from '@slack/bolt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_SKEW_SECONDS,
  signSlackRequest,
  verifySlackSignature,
} from '../../core/slack-signature.ts';
import { slackSignature } from './support/slack.ts';

const NOW_MS = 1_735_689_600_123;
const NOW = Math.floor(NOW_MS / 1000);
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';

interface Case {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  nowMs: number;
}

function ours(c: Case): boolean {
  return verifySlackSignature({
    signingSecret: c.secret,
    timestamp: c.timestamp,
    signature: c.signature,
    rawBody: c.body,
    nowSeconds: Math.floor(c.nowMs / 1000),
  }).valid;
}

/** Bolt's verdict, given headers as its HTTP receiver hands them over. */
function bolt(c: Case): boolean {
  try {
    verifySlackRequest({
      signingSecret: c.secret,
      body: c.body,
      headers: {
        'x-slack-signature': c.signature as string,
        'x-slack-request-timestamp': Number(c.timestamp),
      },
      nowMilliseconds: c.nowMs,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Bolt only refuses stale requests; CONTRACT.md refuses a timestamp more
 * than 5 minutes away either way, so ours is stricter for the future
 * (including bolt's `Infinity`, which it accepts when signed).
 */
function expected(c: Case): boolean {
  const ahead = Number(c.timestamp) - Math.floor(c.nowMs / 1000);
  return bolt(c) && !(ahead > MAX_SKEW_SECONDS);
}

const flipHex = (sig: string, at: number) => {
  const i = 3 + (at % 64);
  const swapped = sig[i] === '0' ? '1' : '0';
  return sig.slice(0, i) + swapped + sig.slice(i + 1);
};

const offsets = fc.oneof(
  fc.integer({ min: -298, max: 298 }),
  fc.constantFrom(-301, -300, -299, 299, 300, 301),
  fc.integer({ min: -100_000, max: 100_000 }),
);

const timestamps = (nowMs: number) =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: offsets.map((o) => String(Math.floor(nowMs / 1000) + o)),
    },
    fc.constantFrom('', 'abc', '1e9', '-1', '12a', ' ', 'NaN', 'Infinity'),
    fc.constant(undefined),
    fc.string(),
  );

type SignatureKind =
  | 'correct'
  | 'other-secret'
  | 'altered-hex'
  | 'upper-case'
  | 'wrong-version'
  | 'truncated'
  | 'extended'
  | 'missing'
  | 'empty'
  | 'other-body'
  | 'other-timestamp'
  | 'random';

const signatureKinds = fc.oneof(
  { weight: 6, arbitrary: fc.constant<SignatureKind>('correct') },
  fc.constantFrom<SignatureKind>(
    'other-secret',
    'altered-hex',
    'upper-case',
    'wrong-version',
    'truncated',
    'extended',
    'missing',
    'empty',
    'other-body',
    'other-timestamp',
    'random',
  ),
);

const cases = fc
  .record({
    secret: fc.string({ minLength: 1 }),
    body: fc.oneof(fc.string(), fc.string({ unit: 'binary' })),
    nowMs: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
    kind: signatureKinds,
    at: fc.nat(),
    noise: fc.string(),
  })
  .chain((base) =>
    timestamps(base.nowMs).map((timestamp) => ({ ...base, timestamp })),
  )
  .map(({ secret, body, nowMs, kind, at, noise, timestamp }): Case => {
    const ts = timestamp ?? String(Math.floor(nowMs / 1000));
    const good = slackSignature(secret, ts, body);
    const signature: Record<SignatureKind, string | undefined> = {
      correct: good,
      'other-secret': slackSignature(`${secret}x`, ts, body),
      'altered-hex': flipHex(good, at),
      'upper-case': `v0=${good.slice(3).toUpperCase()}`,
      'wrong-version': `v1=${good.slice(3)}`,
      truncated: good.slice(0, -1),
      extended: `${good}0`,
      missing: undefined,
      empty: '',
      'other-body': slackSignature(secret, ts, `${body} `),
      'other-timestamp': slackSignature(secret, `${ts}1`, body),
      random: noise,
    };
    return { secret, body, nowMs, timestamp, signature: signature[kind] };
  });

describe('Function: verifySlackSignature against @slack/bolt', () => {
  it('gives the same verdict as verifySlackRequest on generated requests', () => {
    let valid = 0;
    let invalid = 0;

    fc.assert(
      fc.property(cases, (c) => {
        const verdict = ours(c);
        if (verdict) valid++;
        else invalid++;

        expect(verdict).toBe(expected(c));
      }),
      { numRuns: 3000 },
    );

    // Both verdicts are exercised, so the agreement is not vacuous.
    expect(valid).toBeGreaterThan(300);
    expect(invalid).toBeGreaterThan(300);
  });

  it.each([
    ['now', 0, true, true],
    ['exactly 300 s ago', -300, true, true],
    ['301 s ago', -301, false, false],
    ['exactly 300 s ahead', 300, true, true],
    ['301 s ahead (bolt checks staleness only)', 301, false, true],
  ])('at %s: ours %s, bolt %s', (_when, offset, ourVerdict, boltVerdict) => {
    const timestamp = String(NOW + offset);
    const c = {
      secret: SECRET,
      timestamp,
      signature: slackSignature(SECRET, timestamp, BODY),
      body: BODY,
      nowMs: NOW_MS,
    };

    expect(ours(c)).toBe(ourVerdict);
    expect(bolt(c)).toBe(boltVerdict);
  });
});

describe('Function: verifySlackSignature', () => {
  const timestamp = String(NOW);
  const signed = {
    signingSecret: SECRET,
    timestamp,
    signature: slackSignature(SECRET, timestamp, BODY),
    rawBody: BODY,
    nowSeconds: NOW,
  };

  it('accepts a request signed as Slack signs it', () => {
    expect(verifySlackSignature(signed)).toEqual({ valid: true });
  });

  it.each([
    [
      'forged with another secret',
      { signature: slackSignature('guess', timestamp, BODY) },
      'signature mismatch',
    ],
    [
      'with the body altered after signing',
      { rawBody: `${BODY}&x=1` },
      'signature mismatch',
    ],
    [
      'stale',
      { nowSeconds: NOW + 301 },
      'timestamp outside the 5 minute window',
    ],
    [
      'from the future',
      { nowSeconds: NOW - 301 },
      'timestamp outside the 5 minute window',
    ],
    [
      'without a timestamp',
      { timestamp: undefined },
      'missing signature headers',
    ],
    [
      'without a signature',
      { signature: undefined },
      'missing signature headers',
    ],
    [
      'with a non-numeric timestamp',
      { timestamp: '17356896OO' },
      'malformed timestamp',
    ],
    [
      'with an Infinity timestamp, which bolt accepts',
      { timestamp: 'Infinity' },
      'malformed timestamp',
    ],
    [
      'with a fractional timestamp',
      { timestamp: `${NOW}.5` },
      'malformed timestamp',
    ],
    [
      'with an upper-case signature',
      { signature: signed.signature.toUpperCase() },
      'malformed signature',
    ],
    [
      'with a v1 signature',
      { signature: signed.signature.replace('v0=', 'v1=') },
      'malformed signature',
    ],
    [
      'with a short signature',
      { signature: signed.signature.slice(0, 40) },
      'malformed signature',
    ],
  ])('refuses a request %s', (_name, change, reason) => {
    expect(verifySlackSignature({ ...signed, ...change })).toEqual({
      valid: false,
      reason,
    });
  });

  it('never echoes the secret or the expected signature in its reason', () => {
    const verdict = verifySlackSignature({
      ...signed,
      signature: slackSignature('guess', timestamp, BODY),
    });

    const text = JSON.stringify(verdict);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(signed.signature.slice(3));
  });
});

describe('Function: signSlackRequest', () => {
  it('is v0= and the hex HMAC-SHA256 of v0:{timestamp}:{body}', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string(),
        fc.string(),
        (s, t, b) => {
          expect(signSlackRequest(s, t, b)).toBe(slackSignature(s, t, b));
        },
      ),
    );
    expect(signSlackRequest('secret', '1', 'body')).toMatch(
      /^v0=[0-9a-f]{64}$/,
    );
  });
});

describe('Function: verifySlackSignature, hardening beyond bolt', () => {
  it('refuses every request when the signing secret is empty', () => {
    const timestamp = String(NOW);

    const verdict = verifySlackSignature({
      signingSecret: '',
      timestamp,
      signature: slackSignature('', timestamp, BODY),
      rawBody: BODY,
      nowSeconds: NOW,
    });

    expect(verdict).toEqual({
      valid: false,
      reason: 'no signing secret is configured',
    });
  });

  it('refuses a timestamp with a leading zero even when signed over it', () => {
    const timestamp = `0${NOW}`;

    const verdict = verifySlackSignature({
      signingSecret: SECRET,
      timestamp,
      signature: slackSignature(SECRET, timestamp, BODY),
      rawBody: BODY,
      nowSeconds: NOW,
    });

    expect(verdict).toEqual({ valid: false, reason: 'malformed timestamp' });
  });
});
