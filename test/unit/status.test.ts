import { describe, expect, it } from 'vitest';
import {
  isPending,
  isTerminal,
  STATUSES,
  statusesLeadingTo,
} from '../../core/status.ts';

describe('Function: statusesLeadingTo', () => {
  it.each([
    ['APPROVED', ['PENDING_APPROVAL']],
    ['EXECUTING', ['APPROVED', 'EXECUTING']],
    ['SUCCEEDED', ['EXECUTING', 'SUCCEEDED']],
    ['REVERTED', ['SUCCEEDED']],
    ['REJECTED', ['PENDING_APPROVAL']],
    ['CANCELLED', ['PENDING_APPROVAL', 'APPROVED']],
    ['EXPIRED', ['PENDING_APPROVAL', 'APPROVED']],
    ['FAILED', ['PENDING_APPROVAL', 'APPROVED', 'EXECUTING']],
  ] as const)('reaches %s only from %j', (to, from) => {
    expect(statusesLeadingTo(to)).toEqual(from);
  });

  it('leaves no way out of a closed request', () => {
    for (const closed of [
      'FAILED',
      'REJECTED',
      'EXPIRED',
      'CANCELLED',
      'REVERTED',
    ] as const) {
      const onward = STATUSES.filter((to) =>
        statusesLeadingTo(to).includes(closed),
      );

      expect(onward, closed).toEqual([]);
    }
  });
});

describe('Function: isTerminal', () => {
  it('keeps a time-bound SUCCEEDED open until it is reverted', () => {
    expect(isTerminal('SUCCEEDED', true)).toBe(false);
    expect(isTerminal('SUCCEEDED', false)).toBe(true);
  });

  it.each([
    ['PENDING_APPROVAL', false],
    ['APPROVED', false],
    ['EXECUTING', false],
    ['FAILED', true],
    ['REJECTED', true],
    ['EXPIRED', true],
    ['CANCELLED', true],
    ['REVERTED', true],
  ] as const)('calls %s terminal: %s', (status, terminal) => {
    expect(isTerminal(status, false)).toBe(terminal);
  });
});

describe('Function: isPending', () => {
  it('counts decisions only while PENDING_APPROVAL', () => {
    expect(STATUSES.filter(isPending)).toEqual(['PENDING_APPROVAL']);
  });
});
