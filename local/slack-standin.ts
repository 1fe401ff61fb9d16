import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackUser {
  id: string;
  email?: string | undefined;
  name: string;
}

/** One Web API call as the stand-in received it (token left out). */
export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  at: string;
  /** For messages: the ts the stand-in gave it. */
  ts?: string;
}

/** Form fields arrive as strings; these ones carry JSON. */
const JSON_FIELDS = ['blocks', 'attachments', 'metadata'];

async function readArgs(req: IncomingMessage) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (String(req.headers['content-type']).includes('json')) {
    return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  }
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    args[key] = JSON_FIELDS.includes(key) ? JSON.parse(value) : value;
  }
  return args;
}

/**
 * A Slack Web API stand-in speaking the API's JSON, for `@slack/web-api`'s
 * `slackApiUrl`. It knows the seeded users and records every call so tests
 * and `GET /_local/slack/messages` can show what Slack would have shown.
 */
export class SlackStandIn {
  readonly calls: RecordedCall[] = [];
  private server: Server | undefined;
  private clock = 0;

  constructor(private readonly users: SlackUser[]) {}

  private nextTs(): string {
    this.clock += 1;
    const seconds = Math.floor(Date.now() / 1000);
    return `${seconds}.${String(this.clock).padStart(6, '0')}`;
  }

  private answer(method: string, args: Record<string, unknown>) {
    const channel = String(args.channel ?? '');
    switch (method) {
      case 'chat.postMessage': {
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const ts = this.nextTs();
        return { ok: true, channel, ts, message: { ...args, ts } };
      }
      case 'chat.update':
        return { ok: true, channel, ts: args.ts, text: args.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: this.nextTs() };
      case 'users.info': {
        const user = this.users.find((u) => u.id === args.user);
        if (!user) return { ok: false, error: 'user_not_found' };
        return {
          ok: true,
          user: {
            id: user.id,
            name: user.name,
            profile: user.email ? { email: user.email } : {},
          },
        };
      }
      case 'users.lookupByEmail': {
        const user = this.users.find((u) => u.email === args.email);
        if (!user) return { ok: false, error: 'users_not_found' };
        return { ok: true, user: { id: user.id, name: user.name } };
      }
      case 'auth.test':
        return { ok: true, user_id: 'U0GATE', team_id: 'T0LOCAL' };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse) {
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    let body: Record<string, unknown>;
    try {
      const args = await readArgs(req);
      const auth = String(req.headers.authorization ?? '');
      const token = String(args.token ?? auth.replace(/^Bearer /, ''));
      delete args.token;
      body = token
        ? this.answer(method, args)
        : { ok: false, error: 'not_authed' };
      if (body.ok) {
        const ts = typeof body.ts === 'string' ? body.ts : undefined;
        this.calls.push({
          method,
          args,
          at: new Date().toISOString(),
          ...(ts ? { ts } : {}),
        });
      }
    } catch {
      body = { ok: false, error: 'invalid_form_data' };
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  /** Serves on 127.0.0.1; returns the `slackApiUrl` (ending in /api/). */
  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => void this.serve(req, res));
    this.server = server;
    await new Promise<void>((resolve) =>
      server.listen(port, '127.0.0.1', resolve),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
