import { type KnownBlock, WebClient } from '@slack/web-api';
import { config } from './config.ts';
import { slackSecrets } from './secrets.ts';

let client: WebClient | undefined;

async function slack(): Promise<WebClient> {
  if (client) return client;
  const { botToken } = await slackSecrets();
  const url = config.slackApiUrl();
  client = new WebClient(botToken, {
    ...(url ? { slackApiUrl: url } : {}),
    // Slack answers interactions within 3 s: never wait on long retries.
    retryConfig: { retries: 2, maxTimeout: 1_000 },
  });
  return client;
}

/** The channel a cluster's approval messages go to. */
export function channelFor(clusterName: string): string {
  return config.slackChannels()[clusterName] ?? config.slackDefaultChannel();
}

export interface PostedMessage {
  channel: string;
  ts: string;
}

export async function postMessage(
  channel: string,
  text: string,
  blocks: KnownBlock[] | Record<string, unknown>[],
  threadTs?: string,
): Promise<PostedMessage> {
  const answer = await (await slack()).chat.postMessage({
    channel,
    text,
    ...(blocks.length > 0 ? { blocks: blocks as KnownBlock[] } : {}),
    ...(threadTs ? { thread_ts: threadTs } : {}),
  });
  return { channel: answer.channel ?? channel, ts: answer.ts ?? '' };
}

export async function updateMessage(
  message: PostedMessage,
  text: string,
  blocks: Record<string, unknown>[],
): Promise<void> {
  await (await slack()).chat.update({
    ...message,
    text,
    blocks: blocks as unknown as KnownBlock[],
  });
}

export async function postEphemeral(
  channel: string,
  user: string,
  text: string,
): Promise<void> {
  await (await slack()).chat.postEphemeral({ channel, user, text });
}

const emails = new Map<string, string | undefined>();

/**
 * The lower-cased profile e-mail of a Slack user, or undefined when the
 * profile has none. Cached for the life of the function instance.
 */
export async function emailOf(userId: string): Promise<string | undefined> {
  if (emails.has(userId)) return emails.get(userId);
  let answer: Awaited<ReturnType<WebClient['users']['info']>>;
  try {
    answer = await (await slack()).users.info({ user: userId });
  } catch (error) {
    // An unknown user has no identity; anything else is a real failure.
    const code = (error as { data?: { error?: string } }).data?.error;
    if (code === 'user_not_found') return undefined;
    throw error;
  }
  const email = answer.user?.profile?.email?.toLowerCase();
  emails.set(userId, email);
  return email;
}
