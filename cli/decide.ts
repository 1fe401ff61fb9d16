import { signSlackRequest } from '../core/slack-signature.ts';
import { loadSeed } from '../local/seed.ts';
import type { ApiClient } from './api-client.ts';

interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
}

/** What the local Slack stand-in recorded, oldest first. */
async function slackCalls(api: ApiClient): Promise<RecordedCall[]> {
  const answer = await api.call('GET', '/_local/slack/messages');
  return (answer.body as { calls?: RecordedCall[] }).calls ?? [];
}

/**
 * Approves or rejects as a Slack user would: a `block_actions` payload from
 * the request's approval message, form-encoded and signed with the signing
 * secret exactly as Slack signs. The Slack user is the seeded one with this
 * e-mail. What Slack would have told the user privately (a refusal, say)
 * is shown as the error.
 */
export async function decideCommand(
  api: ApiClient,
  action: 'approve' | 'reject',
  requestId: string,
  email: string,
): Promise<{ status: number; body: unknown }> {
  const seed = await loadSeed();
  const user = seed.slack.users.find(
    (candidate) => candidate.email === email.toLowerCase(),
  );
  if (!user) {
    const known = seed.slack.users.flatMap((u) => (u.email ? [u.email] : []));
    throw new Error(
      `No Slack user with e-mail ${email} in local/seed.json ` +
        `(known: ${known.join(', ')})`,
    );
  }
  const before = await slackCalls(api);
  const posted = before.find(
    (call) =>
      call.method === 'chat.postMessage' &&
      JSON.stringify(call.args.blocks ?? []).includes(requestId),
  );
  // The stand-in forgets its calls on a restart: then the click comes from
  // the channel the message was posted to, as the seed configures it.
  const request = posted
    ? undefined
    : await api.call('GET', `/requests/${requestId}`);
  const cluster = (request?.body as { clusterName?: string } | undefined)
    ?.clusterName;
  const channel = posted
    ? String(posted.args.channel)
    : (cluster && seed.slack.channels[cluster]) || seed.slack.defaultChannel;
  const payload = {
    type: 'block_actions',
    user: { id: user.id, name: user.name },
    channel: { id: channel },
    container: { type: 'message', channel_id: channel },
    actions: [
      {
        type: 'button',
        action_id: action,
        value: requestId,
        block_id: 'decision',
      },
    ],
  };
  const body = new URLSearchParams({
    payload: JSON.stringify(payload),
  }).toString();
  const timestamp = String(Math.floor(Date.now() / 1000));
  const secret = process.env.SLACK_SIGNING_SECRET ?? 'local-signing-secret';
  const answer = await api.call('POST', '/slack/interactions', body, {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': signSlackRequest(secret, timestamp, body),
  });
  if (answer.status !== 200) return answer;

  const told = (await slackCalls(api))
    .slice(before.length)
    .filter((c) => c.method === 'chat.postEphemeral' && c.args.user === user.id)
    .map((c) => String(c.args.text));
  const last = told.at(-1) ?? '';
  if (!last.startsWith('Recorded')) {
    return {
      status: 409,
      body: { error: { code: 'DecisionRefused', message: last } },
    };
  }
  return { status: 200, body: { message: last } };
}
