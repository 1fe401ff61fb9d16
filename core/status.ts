/** Every status a change request can have (CONTRACT.md). */
export const STATUSES = [
  'PENDING_APPROVAL',
  'APPROVED',
  'EXECUTING',
  'SUCCEEDED',
  'FAILED',
  'REJECTED',
  'EXPIRED',
  'CANCELLED',
  'REVERTED',
] as const;

export type Status = (typeof STATUSES)[number];

/**
 * Where each status may go next. `SUCCEEDED` is terminal unless the change
 * is time-bound, in which case the revert moves it to `REVERTED`.
 */
const NEXT: Record<Status, readonly Status[]> = {
  // FAILED from a wait: the approval step itself broke (Slack down).
  PENDING_APPROVAL: [
    'PENDING_APPROVAL',
    'APPROVED',
    'REJECTED',
    'EXPIRED',
    'CANCELLED',
    'FAILED',
  ],
  // EXPIRED: an approval that came after the wait had already timed out.
  APPROVED: ['EXECUTING', 'CANCELLED', 'EXPIRED', 'FAILED'],
  EXECUTING: ['EXECUTING', 'SUCCEEDED', 'FAILED'],
  SUCCEEDED: ['REVERTED', 'SUCCEEDED'],
  FAILED: [],
  REJECTED: [],
  EXPIRED: [],
  CANCELLED: [],
  REVERTED: [],
};

/** The statuses from which `to` may be reached. */
export function statusesLeadingTo(to: Status): Status[] {
  return STATUSES.filter((from) => NEXT[from].includes(to));
}

/** True when the request holds its cluster/principal lock no longer. */
export function isTerminal(status: Status, timeBound: boolean): boolean {
  if (status === 'SUCCEEDED') return !timeBound;
  return NEXT[status].length === 0;
}

/** Statuses in which a decision from an approver still counts. */
export function isPending(status: Status): boolean {
  return status === 'PENDING_APPROVAL';
}
