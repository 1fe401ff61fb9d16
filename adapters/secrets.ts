import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { config } from './config.ts';

export interface SlackSecrets {
  botToken: string;
  signingSecret: string;
}

let cached: Promise<SlackSecrets> | undefined;

/**
 * The Slack bot token and signing secret. In AWS they come from Secrets
 * Manager (`SLACK_SECRET_ARN`, a JSON secret with `botToken` and
 * `signingSecret`), fetched once per function instance; locally from
 * `SLACK_BOT_TOKEN` and `SLACK_SIGNING_SECRET`.
 */
export function slackSecrets(): Promise<SlackSecrets> {
  cached ??= load().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function load(): Promise<SlackSecrets> {
  const arn = process.env.SLACK_SECRET_ARN;
  if (!arn) {
    return {
      botToken: process.env.SLACK_BOT_TOKEN ?? 'xoxb-local',
      signingSecret: process.env.SLACK_SIGNING_SECRET ?? 'local-signing-secret',
    };
  }
  const client = new SecretsManagerClient({ region: config.region() });
  const { SecretString } = await client.send(
    new GetSecretValueCommand({ SecretId: arn }),
  );
  const parsed = JSON.parse(SecretString ?? '{}') as Partial<SlackSecrets>;
  if (!parsed.botToken || !parsed.signingSecret) {
    throw new Error('The Slack secret lacks botToken or signingSecret');
  }
  return { botToken: parsed.botToken, signingSecret: parsed.signingSecret };
}
