import { describe, expect, it } from 'vitest';
import { diffEntry } from '../../core/diff.ts';
import { type ChangeRequest, toPublicRequest } from '../../core/request.ts';
import {
  approvalMessage,
  inert,
  reminderReply,
  resultReply,
} from '../../core/slack-message.ts';
import { REQUEST_ID, storedRequest } from './support/requests.ts';

function request(overrides: Partial<ChangeRequest> = {}): ChangeRequest {
  return toPublicRequest(
    storedRequest({
      before: {
        kubernetesGroups: ['viewers', 'legacy'],
        username: 'developers',
        modifiedAt: '2025-01-01T00:00:00.000Z',
      },
      after: {
        kubernetesGroups: ['viewers', 'deployers'],
        username: 'developers:{{SessionName}}',
      },
      durationMinutes: 120,
      approvalsRequired: 2,
      ...overrides,
    }),
  );
}

function message(req: ChangeRequest, deadline?: string) {
  const { text, blocks } = approvalMessage(
    req,
    diffEntry(req.before, req.after),
    deadline,
  );
  const section = blocks.find((b) => b.type === 'section') as {
    text: { text: string };
  };
  const actions = blocks.find((b) => b.type === 'actions') as
    | { elements: Record<string, unknown>[] }
    | undefined;
  return { text, blocks, facts: section.text.text.split('\n'), actions };
}

describe('Function: approvalMessage', () => {
  it('shows everything an approver decides on, one fact a line', () => {
    const { facts } = message(request(), '2025-01-03T00:00:00.000Z');

    expect(facts).toEqual([
      '*Cluster:* `demo`',
      '*Principal:* `arn:aws:iam::111122223333:role/developers`',
      '*Requested by:* alice@example.com',
      '*Reason:* OPS-1234 deploy rights for the release week',
      '*Groups added:* `deployers`',
      '*Groups removed:* `legacy`',
      '*Username:* `developers` → `developers:{{SessionName}}`',
      '*Duration:* 120 minutes, then reverted',
      '*Approvals:* 0 of 2',
      '*Decide by:* 2025-01-03T00:00:00.000Z',
      '*Status:* PENDING_APPROVAL',
    ]);
  });

  it('leaves the username out when it does not change, and says permanent', () => {
    const req = request({
      after: { kubernetesGroups: ['viewers'], username: 'developers' },
    });
    delete req.durationMinutes;

    const { facts } = message(req);

    expect(facts.some((line) => line.startsWith('*Username:*'))).toBe(false);
    expect(facts).toContain('*Groups added:* _none_');
    expect(facts).toContain('*Duration:* permanent');
  });

  it('counts only approvals, naming who gave them', () => {
    const { facts } = message(
      request({
        approvals: [{ by: 'bob@example.com', decision: 'APPROVED', at: 'x' }],
      }),
    );

    expect(facts).toContain('*Approvals:* 1 of 2 (bob@example.com)');
  });

  it('carries approve and reject buttons valued with the request id while pending', () => {
    const { actions } = message(request());

    expect(actions?.elements).toEqual([
      expect.objectContaining({
        type: 'button',
        action_id: 'approve',
        value: REQUEST_ID,
        style: 'primary',
      }),
      expect.objectContaining({
        type: 'button',
        action_id: 'reject',
        value: REQUEST_ID,
        style: 'danger',
      }),
    ]);
  });

  it.each([
    ['APPROVED', ':white_check_mark: Approved by bob@example.com — APPROVED'],
    ['REJECTED', ':no_entry: Rejected by bob@example.com'],
    ['SUCCEEDED', ':white_check_mark: Approved by bob@example.com — SUCCEEDED'],
  ] as const)(
    'has no buttons once %s, and says who decided',
    (status, summary) => {
      const decided = request({
        status,
        approvals: [{ by: 'bob@example.com', decision: 'APPROVED', at: 'x' }],
      });

      const { blocks, actions, text } = message(decided);

      expect(actions).toBeUndefined();
      expect(JSON.stringify(blocks)).not.toContain('action_id');
      expect(JSON.stringify(blocks.at(-1))).toContain(summary);
      expect(text).toBe(
        `EKS access change on demo for arn:aws:iam::111122223333:role/developers: ${status}`,
      );
    },
  );

  it('says a cancelled request was cancelled by the requester', () => {
    const { blocks } = message(request({ status: 'CANCELLED' }));

    expect(JSON.stringify(blocks.at(-1))).toContain(
      'Cancelled by the requester',
    );
  });
});

describe('Function: resultReply', () => {
  it('reports success with the groups, the username and the revert time', () => {
    const reply = resultReply(
      request({ status: 'SUCCEEDED', expiresAt: '2025-01-02T02:00:00.000Z' }),
    );

    expect(reply).toBe(
      ':white_check_mark: UpdateAccessEntry succeeded: groups `viewers`, ' +
        '`deployers`, username `developers:{{SessionName}}`; reverts at ' +
        '2025-01-02T02:00:00.000Z',
    );
  });

  it('reports a failure with its code and message', () => {
    const reply = resultReply(
      request({
        status: 'FAILED',
        error: { code: 'Drifted', message: 'the entry changed' },
      }),
    );

    expect(reply).toBe(':x: Execution failed (Drifted): the entry changed');
  });
});

describe('Function: reminderReply', () => {
  const DEADLINE = '2025-01-03T00:00:00.000Z';

  it('counts the approvals still missing, in the plural', () => {
    expect(reminderReply(request(), DEADLINE)).toBe(
      ':alarm_clock: Still waiting for 2 more approvals (0 of 2); ' +
        `the request expires at ${DEADLINE}.`,
    );
  });

  it('says "approval" for the last one missing, ignoring rejections', () => {
    const req = request({
      approvals: [
        { by: 'bob@example.com', decision: 'APPROVED', at: 'x' },
        { by: 'dave@example.com', decision: 'REJECTED', at: 'x' },
      ],
    });

    expect(reminderReply(req, DEADLINE)).toBe(
      ':alarm_clock: Still waiting for 1 more approval (1 of 2); ' +
        `the request expires at ${DEADLINE}.`,
    );
  });
});

describe('Function: inert', () => {
  it('turns mentions, links and formatting into plain text', () => {
    const text = inert('<!here> <@U0BOB> <http://evil.example|Approve> *bold*');

    expect(text).not.toMatch(/[<>]/);
    expect(text).toContain('&lt;!here&gt;');
    expect(text).not.toMatch(/(^|[^\u200b])\*bold/);
  });

  it('shows invisible format characters as code points', () => {
    const text = inert('viewers \u202Esnimda-retsulc cluster\u200B-admins');

    expect(text).toContain('[U+202E]');
    expect(text).toContain('cluster[U+200B]-admins');
  });

  it('leaves no line break that could start a fake field', () => {
    expect(inert('ok\n*Groups added:* _none_\r\nx\u2028y')).not.toMatch(
      /[\n\r\u2028]/,
    );
  });
});

describe('Function: approvalMessage with a hostile reason', () => {
  it('shows the reason as inert text in one line', () => {
    const req = request({ reason: '<!channel> approve\n*Approvals:* 2 of 1' });

    const { blocks } = approvalMessage(req, diffEntry(req.before, req.after));

    const body = JSON.stringify(blocks);
    expect(body).not.toContain('<!channel>');
    expect(body.match(/\*Approvals:\*/g)).toHaveLength(1);
  });
});
