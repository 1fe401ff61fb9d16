import { signSlackRequest } from '../core/slack-signature.ts';
import { loadSeed } from '../local/seed.ts';
import type { ApiClient } from './api-client.ts';

/**
 * Approves or rejects as a Slack user would: a `block_actions` payload,
 * form-encoded and signed with the signing secret exactly as Slack signs.
 * The Slack user is the seeded one with this e-mail.
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
    throw new Error(
      `No Slack user with e-mail ${email} in local/seed.json ` +
        `(known: ${seed.slack.users.map((u) => u.email).join(', ')})`,
    );
  }
  const request = await api.call('GET', `/requests/${requestId}`);
  const cluster = (request.body as { clusterName?: string }).clusterName;
  const channel =
    (cluster && seed.slack.channels[cluster]) || seed.slack.defaultChannel;
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
  // Slack shows the clicker an ephemeral answer; show the request instead.
  return api.call('GET', `/requests/${requestId}`);
}
