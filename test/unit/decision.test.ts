import { describe, expect, it } from 'vitest';
import { decide } from '../../core/decision.ts';
import type { PolicyDecision } from '../../core/policy.ts';
import { ALLOW, storedRequest } from './support/requests.ts';

const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';
const AT = '2025-01-02T00:05:00.000Z';
const DENY: PolicyDecision = {
  allowed: false,
  reasons: ['requesters may not approve their own requests'],
  policyIds: ['no-self-approval'],
};

describe('Function: decide', () => {
  it('approves and completes the approval when the quorum of one is reached', () => {
    const outcome = decide(storedRequest(), BOB, 'APPROVED', ALLOW, AT);

    expect(outcome).toEqual({
      kind: 'recorded',
      status: 'APPROVED',
      completesApproval: true,
      rejects: false,
      approvals: [{ by: BOB, decision: 'APPROVED', at: AT }],
      events: [
        {
          type: 'POLICY_EVALUATED',
          actor: BOB,
          details: {
            question: 'decide',
            decision: 'APPROVED',
            allowed: true,
            policyIds: ALLOW.policyIds,
            reasons: [],
          },
        },
        {
          type: 'APPROVED',
          actor: BOB,
          details: { approvalsGiven: 1, approvalsRequired: 1 },
        },
      ],
    });
  });

  it('stays PENDING_APPROVAL after one approval of two', () => {
    const request = storedRequest({ approvalsRequired: 2 });

    const outcome = decide(request, BOB, 'APPROVED', ALLOW, AT);

    expect(outcome).toMatchObject({
      kind: 'recorded',
      status: 'PENDING_APPROVAL',
      completesApproval: false,
    });
  });

  it('reaches a quorum of two with a second approver', () => {
    const request = storedRequest({
      approvalsRequired: 2,
      approvals: [{ by: CAROL, decision: 'APPROVED', at: AT }],
    });

    const outcome = decide(request, BOB, 'APPROVED', ALLOW, AT);

    expect(outcome).toMatchObject({
      status: 'APPROVED',
      completesApproval: true,
    });
    expect(
      outcome.kind === 'recorded' && outcome.approvals.map((a) => a.by),
    ).toEqual([CAROL, BOB]);
  });

  it('rejects on one rejection, whatever the quorum', () => {
    const request = storedRequest({
      approvalsRequired: 2,
      approvals: [{ by: CAROL, decision: 'APPROVED', at: AT }],
    });

    const outcome = decide(request, BOB, 'REJECTED', ALLOW, AT);

    expect(outcome).toMatchObject({
      kind: 'recorded',
      status: 'REJECTED',
      rejects: true,
      completesApproval: false,
    });
    expect(outcome.events.map((e) => e.type)).toEqual([
      'POLICY_EVALUATED',
      'REJECTED',
    ]);
  });

  it('refuses a second decision by the same approver with no events', () => {
    const request = storedRequest({
      approvalsRequired: 2,
      approvals: [{ by: BOB, decision: 'APPROVED', at: AT }],
    });

    expect(decide(request, BOB, 'APPROVED', ALLOW, AT)).toEqual({
      kind: 'refused',
      message: 'You have already decided on this request; nothing changed.',
      events: [],
    });
  });

  it('refuses any decision on a request no longer pending, without asking policy', () => {
    const request = storedRequest({ status: 'EXPIRED' });

    expect(decide(request, BOB, 'REJECTED', ALLOW, AT)).toEqual({
      kind: 'refused',
      message: 'This request is already EXPIRED; nothing changed.',
      events: [],
    });
  });

  it('refuses when policy denies, keeping the policy answer for the audit', () => {
    const outcome = decide(storedRequest(), BOB, 'APPROVED', DENY, AT);

    expect(outcome).toMatchObject({
      kind: 'refused',
      message:
        'You may not decide on this request: requesters may not approve their own requests',
    });
    expect(outcome.events).toEqual([
      expect.objectContaining({
        type: 'POLICY_EVALUATED',
        details: expect.objectContaining({
          allowed: false,
          policyIds: ['no-self-approval'],
        }),
      }),
    ]);
  });

  it('ends the refusal with a full stop when policy gives no reason', () => {
    const outcome = decide(
      storedRequest(),
      BOB,
      'APPROVED',
      { allowed: false, reasons: [], policyIds: [] },
      AT,
    );

    expect(outcome.kind === 'refused' && outcome.message).toBe(
      'You may not decide on this request.',
    );
  });
});

describe('Function: decide, repeated refusals', () => {
  it('audits the first refusal of an identity and records who it was', () => {
    const outcome = decide(storedRequest(), BOB, 'APPROVED', DENY, AT);

    expect(outcome).toMatchObject({
      kind: 'refused',
      refusedBy: [BOB],
    });
    expect(outcome.events.map((e) => e.type)).toEqual(['POLICY_EVALUATED']);
  });

  it('answers a refused identity again without a new audit event', () => {
    const request = storedRequest({ refusedBy: [BOB] });

    const outcome = decide(request, BOB, 'APPROVED', DENY, AT);

    expect(outcome.kind).toBe('refused');
    expect(outcome.events).toEqual([]);
  });
});
