import type { AuditEvent } from '../core/audit-chain.ts';

/**
 * How an audit event is stored: the event of CONTRACT.md plus the
 * attributes the table's indexes are keyed on. The index attributes are
 * derived, not hashed: every read strips an item back to the event with
 * {@link toAuditEvent} before anyone verifies or shows it.
 */
export interface AuditItem extends AuditEvent {
  /** `YYYY-MM-DD` (UTC) of `at`: the `byDay` partition. */
  day: string;
  /** `<at>#<requestId>#<seq padded>`: sort key of every audit index. */
  atKey: string;
  /** `<clusterName>#<principalArn>`: the `byPrincipal` partition. */
  principalKey: string;
  /** Kept for the `clusterName` and `principalArn` filters. */
  clusterName: string;
  principalArn: string;
}

/** The request an event belongs to, as far as its index keys need it. */
export interface EventSubject {
  clusterName: string;
  principalArn: string;
}

/** The fields of CONTRACT.md's audit event, in its order. */
export const AUDIT_EVENT_FIELDS = [
  'requestId',
  'seq',
  'type',
  'actor',
  'at',
  'details',
  'prevHash',
  'hash',
] as const;

// Wide enough for any chain a request can grow; keeps atKey sortable.
const SEQ_WIDTH = 8;

/** The partition key of the principal indexes of both tables. */
export function principalKeyOf(subject: EventSubject): string {
  return `${subject.clusterName}#${subject.principalArn}`;
}

/** The UTC day of an ISO-8601 instant as `toISOString` writes it. */
export function dayOf(at: string): string {
  return at.slice(0, 10);
}

/**
 * The audit indexes' sort key. `at` comes first and is fixed-width
 * (`toISOString`), so string order is time order; request and padded seq
 * make the key unique and keep one request's events in seq order.
 */
export function atKeyOf(event: Pick<AuditEvent, 'at' | 'requestId' | 'seq'>) {
  const seq = String(event.seq).padStart(SEQ_WIDTH, '0');
  return `${event.at}#${event.requestId}#${seq}`;
}

/** The index attributes an event's item must carry. */
export function auditIndexAttributes(
  event: AuditEvent,
  subject: EventSubject,
): Omit<AuditItem, keyof AuditEvent> {
  return {
    day: dayOf(event.at),
    atKey: atKeyOf(event),
    principalKey: principalKeyOf(subject),
    clusterName: subject.clusterName,
    principalArn: subject.principalArn,
  };
}

/** The item an event is stored as. */
export function toAuditItem(
  event: AuditEvent,
  subject: EventSubject,
): AuditItem {
  return { ...toAuditEvent(event), ...auditIndexAttributes(event, subject) };
}

/**
 * The event an item holds: exactly CONTRACT.md's fields, whatever else
 * the item carries, so the hash is recomputed over what it was made from.
 */
export function toAuditEvent(item: object): AuditEvent {
  const source = item as Record<string, unknown>;
  const event: Record<string, unknown> = {};
  for (const field of AUDIT_EVENT_FIELDS) {
    if (source[field] !== undefined) event[field] = source[field];
  }
  return event as unknown as AuditEvent;
}

/**
 * Names the index attributes of an item that do not match its event and
 * request. An edited `principalKey` or `day` hides an event from the
 * queries without breaking its hash, so `audit verify` checks them too.
 */
export function staleIndexAttributes(
  item: object,
  subject: EventSubject,
): string[] {
  const stored = item as Record<string, unknown>;
  const expected = auditIndexAttributes(toAuditEvent(item), subject);
  return Object.entries(expected)
    .filter(([name, value]) => stored[name] !== value)
    .map(([name]) => name);
}
