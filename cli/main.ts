import { parseArgs } from 'node:util';
import { ApiClient } from './api-client.ts';
import { decideCommand } from './decide.ts';
import { type HistoryRange, policyCommand } from './policy.ts';

const USAGE = `Usage: eks-access-gate <command> [options]

Commands:
  submit --cluster <name> --principal <arn> [--group <g>]... [--no-groups]
         [--username <u>] --reason <text> [--duration <minutes>]
  status <requestId>
  approve <requestId> --as <e-mail>     signed exactly as Slack signs
  reject <requestId> --as <e-mail>
  cancel <requestId>
  audit <requestId>                     events and chain verification
  audit verify [--request <id> | --all] [--from <iso>] [--to <iso>]
  audit export --from <iso> --to <iso> [--format jsonl|csv] [--out <file>]
                                        see: eks-access-gate audit --help
  policy validate | test | simulate     see: eks-access-gate policy --help

Options for every command:
  --api <url>     the HTTP API (default: $EKS_GATE_API or http://127.0.0.1:3000)
  --as <e-mail>   who you are, sent as X-Local-User (local stack only;
                  default: $EKS_GATE_USER)
  --wait          (submit, approve) wait until the request is final`;

const options = {
  api: { type: 'string' },
  as: { type: 'string' },
  cluster: { type: 'string' },
  principal: { type: 'string' },
  group: { type: 'string', multiple: true },
  'no-groups': { type: 'boolean' },
  username: { type: 'string' },
  reason: { type: 'string' },
  duration: { type: 'string' },
  'idempotency-key': { type: 'string' },
  wait: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type CliValues = ReturnType<
  typeof parseArgs<{ options: typeof options; allowPositionals: true }>
>['values'];

function print(value: unknown) {
  console.log(JSON.stringify(value, null, 2));
}

const FINAL = new Set([
  'SUCCEEDED',
  'FAILED',
  'REJECTED',
  'EXPIRED',
  'CANCELLED',
  'REVERTED',
]);

/** Polls a request until its status is final (or 60 s pass). */
export async function waitForFinal(api: ApiClient, requestId: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await api.call('GET', `/requests/${requestId}`);
    const status = (answer.body as { status?: string }).status;
    if (
      answer.status !== 200 ||
      FINAL.has(status ?? '') ||
      Date.now() > deadline
    ) {
      return answer;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// `audit <requestId>` goes through the API; these read DynamoDB directly.
const AUDIT_SUBCOMMANDS = new Set(['verify', 'export', '--help', '-h']);

/** `policy simulate`'s history, loaded only when it is asked for. */
async function loadHistory(range: HistoryRange) {
  return (await import('./audit.ts')).loadHistory(range);
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'policy') {
    return policyCommand(argv.slice(1), { loadHistory });
  }
  if (argv[0] === 'audit' && AUDIT_SUBCOMMANDS.has(argv[1] ?? '')) {
    const { auditCommand } = await import('./audit.ts');
    return auditCommand(argv.slice(1));
  }
  let parsed: { values: CliValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, requestId] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const api = new ApiClient(
    values.api ?? process.env.EKS_GATE_API ?? 'http://127.0.0.1:3000',
    values.as ?? process.env.EKS_GATE_USER,
  );
  try {
    return await run(command, requestId, values, api);
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
}

function need(value: string | undefined, what: string): string {
  if (!value) throw new Error(`${what} is required\n\n${USAGE}`);
  return value;
}

async function run(
  command: string,
  requestId: string | undefined,
  values: CliValues,
  api: ApiClient,
): Promise<number> {
  let answer: { status: number; body: unknown };
  switch (command) {
    case 'submit': {
      const duration = values.duration;
      if (duration !== undefined && !/^\d+$/.test(duration)) {
        throw new Error('--duration must be a whole number of minutes');
      }
      const body = {
        clusterName: need(values.cluster, '--cluster'),
        principalArn: need(values.principal, '--principal'),
        reason: need(values.reason, '--reason'),
        ...(values.group || values['no-groups']
          ? { kubernetesGroups: values.group ?? [] }
          : {}),
        ...(values.username !== undefined ? { username: values.username } : {}),
        ...(duration !== undefined
          ? { durationMinutes: Number(duration) }
          : {}),
      };
      const key = values['idempotency-key'];
      answer = await api.call(
        'POST',
        '/requests',
        body,
        key ? { 'idempotency-key': key } : {},
      );
      const { requestId: id, status } = answer.body as {
        requestId?: string;
        status?: string;
      };
      // Waiting for approvers could take a day: wait only for automatic ones.
      if (values.wait && answer.status === 202 && id) {
        if (status === 'PENDING_APPROVAL') {
          console.error('Waiting for approval; not waiting here.');
        } else {
          answer = await waitForFinal(api, id);
        }
      }
      break;
    }
    case 'status':
      answer = await api.call(
        'GET',
        `/requests/${need(requestId, 'requestId')}`,
      );
      break;
    case 'cancel':
      answer = await api.call(
        'POST',
        `/requests/${need(requestId, 'requestId')}/cancel`,
      );
      break;
    case 'audit':
      answer = await api.call(
        'GET',
        `/requests/${need(requestId, 'requestId')}/audit`,
      );
      break;
    case 'approve':
    case 'reject':
      answer = await decideCommand(
        api,
        command,
        need(requestId, 'requestId'),
        need(values.as, '--as <e-mail>'),
      );
      if (answer.status === 200) {
        console.error((answer.body as { message: string }).message);
        const id = need(requestId, 'requestId');
        answer = await api.call('GET', `/requests/${id}`);
        const status = (answer.body as { status?: string }).status;
        // A quorum still short stays pending: nothing to wait for.
        if (values.wait && status !== 'PENDING_APPROVAL') {
          answer = await waitForFinal(api, id);
        }
      }
      break;
    default:
      console.error(`Unknown command ${command}\n\n${USAGE}`);
      return 2;
  }
  print(answer.body);
  return answer.status < 400 ? 0 : 1;
}
