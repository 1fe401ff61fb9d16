import { createHmac } from 'node:crypto';
import { httpEvent } from './lambda.ts';

/** Signs as Slack does, independently of the code under test. */
export function slackSignature(secret: string, ts: string, body: string) {
  const mac = createHmac('sha256', secret).update(`v0:${ts}:${body}`);
  return `v0=${mac.digest('hex')}`;
}

/** Slack's form-encoded `payload=` for a click on one of our buttons. */
export function clickBody(
  userId: string,
  actionId: string,
  requestId: string,
  type = 'block_actions',
) {
  const payload = {
    type,
    user: { id: userId },
    channel: { id: 'C0DEMO' },
    actions: [{ action_id: actionId, value: requestId }],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

interface SignedOptions {
  secret: string;
  timestamp?: string;
  signature?: string;
}

/** The API Gateway event of a signed Slack interaction. */
export function slackEvent(body: string, options: SignedOptions) {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const signature =
    options.signature ?? slackSignature(options.secret, timestamp, body);
  return httpEvent({
    method: 'POST',
    path: '/slack/interactions',
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    },
  });
}
