import { createHash } from 'node:crypto';

/** Event types of CONTRACT.md. */
export const AUDIT_EVENT_TYPES = [
  'REQUESTED',
  'POLICY_EVALUATED',
  'APPROVAL_REQUESTED',
  'APPROVED',
  'REJECTED',
  'EXPIRED',
  'CANCELLED',
  'EXECUTION_STARTED',
  'EXECUTION_SUCCEEDED',
  'EXECUTION_FAILED',
  'REVERTED',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditEvent {
  requestId: string;
  seq: number;
  type: AuditEventType;
  actor: string;
  at: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** The fields of an audit event its author chooses. */
export type EventDraft = Pick<AuditEvent, 'type' | 'actor' | 'details'>;

/** `prevHash` of the first event of every request. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with object keys sorted at every depth and no whitespace, so the
 * same event always hashes the same whatever order its fields were built in.
 * `undefined` members are dropped, as JSON.stringify drops them.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const body = entries.map(
    ([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`,
  );
  return `{${body.join(',')}}`;
}

/** SHA-256 (hex) of the canonical JSON of the event without `hash`. */
export function hashEvent(event: Omit<AuditEvent, 'hash'>): string {
  const { hash: _ignored, ...rest } = event as AuditEvent;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** The chain head an event is appended to. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** Builds the next event of a request's chain. */
export function nextEvent(
  head: ChainHead,
  fields: Pick<AuditEvent, 'requestId' | 'type' | 'actor' | 'at' | 'details'>,
): AuditEvent {
  const unsigned = { ...fields, seq: head.seq + 1, prevHash: head.hash };
  return { ...unsigned, hash: hashEvent(unsigned) };
}

/** Builds several consecutive events from one head. */
export function chainEvents(
  head: ChainHead,
  events: Pick<AuditEvent, 'requestId' | 'type' | 'actor' | 'at' | 'details'>[],
): AuditEvent[] {
  const built: AuditEvent[] = [];
  let current = head;
  for (const fields of events) {
    const event = nextEvent(current, fields);
    built.push(event);
    current = { seq: event.seq, hash: event.hash };
  }
  return built;
}

export interface ChainVerification {
  valid: boolean;
  brokenAt?: number;
  problem?: string;
}

/**
 * Recomputes a request's chain from its events in `seq` order. Reports the
 * first event whose seq, link or hash does not hold: an edited field breaks
 * its own hash, a deleted event leaves a gap in seq, a reordered or inserted
 * one breaks the link to the event before it. With the head the request
 * recorded, events cut from the end are caught too.
 */
export function verifyChain(
  events: readonly AuditEvent[],
  head?: ChainHead,
): ChainVerification {
  let previous = GENESIS_HASH;
  for (const [index, event] of events.entries()) {
    const expectedSeq = index + 1;
    if (event.seq !== expectedSeq) {
      return { valid: false, brokenAt: expectedSeq, problem: 'seq gap' };
    }
    if (event.prevHash !== previous) {
      return { valid: false, brokenAt: event.seq, problem: 'broken link' };
    }
    if (hashEvent(event) !== event.hash) {
      return { valid: false, brokenAt: event.seq, problem: 'hash mismatch' };
    }
    previous = event.hash;
  }
  // The request records its chain head: events deleted from the end leave
  // no gap, but the head no longer matches.
  if (head !== undefined && head.seq !== events.length) {
    const brokenAt = Math.min(head.seq, events.length + 1);
    return { valid: false, brokenAt, problem: 'events missing at the end' };
  }
  if (head !== undefined && head.seq > 0 && head.hash !== previous) {
    return { valid: false, brokenAt: head.seq, problem: 'head mismatch' };
  }
  return { valid: true };
}
