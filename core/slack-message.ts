import type { EntryDiff } from './diff.ts';
import type { ChangeRequest } from './request.ts';

type Block = Record<string, unknown>;

export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/**
 * Text a requester chose, made inert for Slack's mrkdwn: no mentions, no
 * links, no formatting, and no line breaks that could start a fake field.
 */
export function inert(text: string): string {
  return text
    .replace(
      // Invisible format characters (bidi overrides, zero-width) could make
      // one text look like another: show them as their code points.
      /\p{Cf}/gu,
      (char) => `[U+${char.codePointAt(0)?.toString(16).toUpperCase()}]`,
    )
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/[*_~`]/g, (mark) => `\u200b${mark}\u200b`);
}

/** A value shown as code: inert, and unable to close the code span. */
function code(text: string): string {
  return `\`${inert(text).replaceAll('\u200b`\u200b', "'")}\``;
}

function list(items: readonly string[]): string {
  return items.length === 0 ? '_none_' : items.map(code).join(', ');
}

function facts(request: ChangeRequest, diff: EntryDiff): string[] {
  const lines = [
    `*Cluster:* ${code(request.clusterName)}`,
    `*Principal:* ${code(request.principalArn)}`,
    `*Requested by:* ${inert(request.requestedBy)}`,
    `*Reason:* ${inert(request.reason)}`,
    `*Groups added:* ${list(diff.groupsAdded)}`,
    `*Groups removed:* ${list(diff.groupsRemoved)}`,
  ];
  if (diff.usernameBefore !== diff.usernameAfter) {
    lines.push(
      `*Username:* ${code(diff.usernameBefore)} → ${code(diff.usernameAfter)}`,
    );
  }
  lines.push(
    request.durationMinutes === undefined
      ? '*Duration:* permanent'
      : `*Duration:* ${request.durationMinutes} minutes, then reverted`,
  );
  return lines;
}

function approvalLine(request: ChangeRequest): string {
  const given = request.approvals.filter((a) => a.decision === 'APPROVED');
  const names = given.map((a) => a.by).join(', ');
  return (
    `*Approvals:* ${given.length} of ${request.approvalsRequired}` +
    (names ? ` (${names})` : '')
  );
}

/**
 * The approval message: everything an approver needs to decide without
 * leaving Slack, and the Approve / Reject buttons while it is pending.
 */
export function approvalMessage(
  request: ChangeRequest,
  diff: EntryDiff,
  approvalDeadline?: string,
): SlackMessage {
  const lines = [...facts(request, diff), approvalLine(request)];
  if (approvalDeadline) lines.push(`*Decide by:* ${approvalDeadline}`);
  lines.push(`*Status:* ${request.status}`);
  const blocks: Block[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: 'EKS access change request' },
    },
    { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `Request \`${request.requestId}\`` }],
    },
  ];
  if (request.status === 'PENDING_APPROVAL') {
    blocks.push({
      type: 'actions',
      block_id: 'decision',
      elements: [
        button('approve', 'Approve', 'primary', request.requestId),
        button('reject', 'Reject', 'danger', request.requestId),
      ],
    });
  } else {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: decisionSummary(request) },
    });
  }
  return {
    text:
      `EKS access change on ${inert(request.clusterName)} for ` +
      `${inert(request.principalArn)}: ${request.status}`,
    blocks,
  };
}

function button(
  actionId: 'approve' | 'reject',
  label: string,
  style: 'primary' | 'danger',
  requestId: string,
): Block {
  return {
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text: label },
    style,
    value: requestId,
  };
}

function decisionSummary(request: ChangeRequest): string {
  const last = request.approvals.at(-1);
  const by = last ? ` by ${last.by}` : '';
  switch (request.status) {
    case 'REJECTED':
      return `:no_entry: Rejected${by}`;
    case 'EXPIRED':
      return ':hourglass: Expired without a decision';
    case 'CANCELLED':
      return ':wastebasket: Cancelled by the requester';
    default:
      return `:white_check_mark: Approved${by} — ${request.status}`;
  }
}

/** The thread reply that reports an execution's outcome. */
export function resultReply(request: ChangeRequest): string {
  switch (request.status) {
    case 'SUCCEEDED':
      return (
        ':white_check_mark: UpdateAccessEntry succeeded: groups ' +
        `${list(request.after.kubernetesGroups)}, username ` +
        code(request.after.username) +
        (request.expiresAt ? `; reverts at ${request.expiresAt}` : '')
      );
    case 'FAILED':
      return (
        `:x: Execution failed (${request.error?.code}): ` +
        inert(request.error?.message ?? '')
      );
    case 'REVERTED':
      return ':rewind: Time-bound change reverted to the previous entry';
    case 'EXPIRED':
      return ':hourglass: No decision in time: the request expired';
    default:
      return `Request is now ${request.status}`;
  }
}

/** The thread reply half-way through the approval window. */
export function reminderReply(request: ChangeRequest, deadline: string) {
  const given = request.approvals.filter((a) => a.decision === 'APPROVED');
  const missing = request.approvalsRequired - given.length;
  return (
    `:alarm_clock: Still waiting for ${missing} more ` +
    `approval${missing === 1 ? '' : 's'} ` +
    `(${given.length} of ${request.approvalsRequired}); ` +
    `the request expires at ${deadline}.`
  );
}
