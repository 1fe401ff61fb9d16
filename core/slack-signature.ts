import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's window: a request signed more than 5 minutes away is refused. */
export const MAX_SKEW_SECONDS = 5 * 60;

export interface SignedRequest {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  nowSeconds: number;
}

export type SignatureVerdict =
  | { valid: true }
  | { valid: false; reason: string };

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`, as Slack signs. */
export function signSlackRequest(
  signingSecret: string,
  timestamp: string,
  rawBody: string,
): string {
  const mac = createHmac('sha256', signingSecret);
  mac.update(`v0:${timestamp}:${rawBody}`);
  return `v0=${mac.digest('hex')}`;
}

/**
 * Checks a Slack request's signature over the raw body. The comparison is
 * constant-time; the reason says what failed but never echoes the secret
 * or the expected signature.
 */
export function verifySlackSignature(req: SignedRequest): SignatureVerdict {
  if (req.signingSecret === '') {
    return { valid: false, reason: 'no signing secret is configured' };
  }
  if (req.timestamp === undefined || req.signature === undefined) {
    return { valid: false, reason: 'missing signature headers' };
  }
  if (!/^[1-9]\d{0,11}$/.test(req.timestamp)) {
    return { valid: false, reason: 'malformed timestamp' };
  }
  if (Math.abs(req.nowSeconds - Number(req.timestamp)) > MAX_SKEW_SECONDS) {
    return { valid: false, reason: 'timestamp outside the 5 minute window' };
  }
  if (!/^v0=[0-9a-f]{64}$/.test(req.signature)) {
    return { valid: false, reason: 'malformed signature' };
  }
  const expected = Buffer.from(
    signSlackRequest(req.signingSecret, req.timestamp, req.rawBody),
  );
  const given = Buffer.from(req.signature);
  if (!timingSafeEqual(expected, given)) {
    return { valid: false, reason: 'signature mismatch' };
  }
  return { valid: true };
}
