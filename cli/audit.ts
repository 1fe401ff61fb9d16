import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  AUDIT_EVENT_FIELDS,
  staleIndexAttributes,
  toAuditEvent,
} from '../adapters/audit-item.ts';
import { auditEventsBetween } from '../adapters/audit-query.ts';
import { instantParam } from '../adapters/pagination.ts';
import { requestsCreated } from '../adapters/request-query.ts';
import { findRequest, listAuditItems } from '../adapters/request-store.ts';
import {
  type AuditEvent,
  canonicalJson,
  verifyChain,
} from '../core/audit-chain.ts';
import { changeFacts } from '../core/intake.ts';
import type { HistoricalRequest } from '../core/policy/simulate.ts';
import type { StoredRequest } from '../core/request.ts';
import type { HistoryRange } from './policy.ts';

const usage = `Usage:
  eks-access-gate audit verify [--request <id> | --all] [--from <iso>]
      [--to <iso>]
  eks-access-gate audit export --from <iso> --to <iso>
      [--format jsonl|csv] [--out <file>]

  verify   recomputes each request's hash chain against the head the
           request recorded; prints OK or the first broken seq per
           request; exits 1 when anything is broken. --all (the default)
           takes every request, or those created in [--from, --to).
  export   writes every event of [--from, --to) in time order: JSON
           lines, or CSV with a header (details as JSON in one column).

Reads DynamoDB directly: REQUESTS_TABLE and AUDIT_TABLE (default: the
local stack's eks-access-gate-requests and eks-access-gate-audit) and
DYNAMODB_ENDPOINT (default with those tables: http://127.0.0.1:8000;
when the tables are set and it is not, AWS itself).`;

const options = {
  request: { type: 'string' },
  all: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A stream the command writes to; stderr's `isTTY` turns progress on. */
export interface OutputStream {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
}

/** What `auditCommand` needs from outside; defaults to the process's. */
export interface AuditCommandDeps {
  stdout?: OutputStream;
  stderr?: OutputStream;
}

class UsageError extends Error {}

/**
 * The local stack's tables and DynamoDB Local, unless the environment
 * names others; `DYNAMODB_ENDPOINT` stays unset for tables named in AWS.
 */
export function applyTableDefaults(env: NodeJS.ProcessEnv = process.env) {
  const local =
    env.REQUESTS_TABLE === undefined && env.AUDIT_TABLE === undefined;
  env.REQUESTS_TABLE ??= 'eks-access-gate-requests';
  env.AUDIT_TABLE ??= 'eks-access-gate-audit';
  if (local) {
    env.DYNAMODB_ENDPOINT ??= `http://127.0.0.1:${env.DYNAMODB_PORT ?? 8000}`;
  }
}

/** Where the audit is read from, for the first line of every command. */
export function auditSource(env: NodeJS.ProcessEnv = process.env): string {
  return (
    `Reading ${env.DYNAMODB_ENDPOINT ?? 'DynamoDB in AWS'} ` +
    `(tables ${env.REQUESTS_TABLE}, ${env.AUDIT_TABLE})`
  );
}

/**
 * `eks-access-gate audit verify|export`. Returns the exit code: 0 all
 * well, 1 a chain is broken or a read failed, 2 a usage error.
 *
 * @param argv - the arguments after `audit`.
 */
export async function auditCommand(
  argv: string[],
  deps: AuditCommandDeps = {},
): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const say = (line: string) => stderr.write(`${line}\n`);
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
      allowPositionals: true,
    });
    const [sub, ...extra] = positionals;
    if (values.help) {
      stdout.write(`${usage}\n`);
      return 0;
    }
    if (extra.length > 0) throw new UsageError(`unexpected ${extra.join(' ')}`);
    applyTableDefaults();
    switch (sub) {
      case 'verify':
        return await verifyCommand(values, stdout);
      case 'export':
        return await exportCommand(values, stdout, stderr);
      default:
        throw new UsageError(`unknown audit command: ${sub ?? '(none)'}`);
    }
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      say(`${(error as Error).message}\n\n${usage}`);
      return 2;
    }
    say(readFailure(error));
    return 1;
  }
}

/** A read failure with where it read, so a wrong endpoint is obvious. */
function readFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const where =
    `${process.env.DYNAMODB_ENDPOINT ?? 'DynamoDB in AWS'} ` +
    `(tables ${process.env.REQUESTS_TABLE}, ${process.env.AUDIT_TABLE})`;
  const hint =
    (error as { name?: string }).name === 'ResourceNotFoundException'
      ? '; is the local stack running (npm start), or are the table ' +
        'names right?'
      : '';
  return `Cannot read the audit from ${where}: ${message}${hint}`;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

type Values = {
  request?: string | undefined;
  all?: boolean | undefined;
  from?: string | undefined;
  to?: string | undefined;
  format?: string | undefined;
  out?: string | undefined;
};

/** Parses `--from`/`--to` as the API does; both optional unless `needed`. */
function timeRange(values: Values, needed: boolean) {
  const parse = (flag: 'from' | 'to') => {
    const raw = values[flag];
    if (raw === undefined) {
      if (needed) throw new UsageError(`--${flag} is required`);
      return undefined;
    }
    const parsed = instantParam.safeParse(raw);
    if (!parsed.success) {
      throw new UsageError(`--${flag} ${parsed.error.issues[0]?.message}`);
    }
    return parsed.data;
  };
  const from = parse('from');
  const to = parse('to');
  if (from !== undefined && to !== undefined && to <= from) {
    throw new UsageError('--to must be after --from');
  }
  return { from, to };
}

/** What verifying one request found. */
export interface ChainFinding {
  requestId: string;
  events: number;
  brokenAt?: number;
  problem?: string;
}

const EXPLAINED: Record<string, string> = {
  'seq gap': 'an event is missing (a gap in seq)',
  'broken link':
    'prevHash does not match the event before it (reordered, replaced ' +
    'or inserted)',
  'hash mismatch': "the event's content was changed",
  'events missing at the end':
    "the chain ends before the request's recorded head (events deleted " +
    'from the end)',
  'head mismatch': "the last event is not the request's recorded head",
};

/**
 * Recomputes one request's chain from its stored items against the head
 * the request recorded. Items whose index attributes no longer match the
 * event (which would hide it from queries) count as broken too.
 */
export async function verifyRequestChain(
  request: StoredRequest,
): Promise<ChainFinding> {
  const items = await listAuditItems(request.requestId);
  const events = items.map(toAuditEvent);
  const result = verifyChain(events, {
    seq: request.auditSeq,
    hash: request.auditHash,
  });
  const found = { requestId: request.requestId, events: events.length };
  if (!result.valid) {
    const problem = result.problem ?? 'broken';
    return {
      ...found,
      ...(result.brokenAt !== undefined ? { brokenAt: result.brokenAt } : {}),
      problem: EXPLAINED[problem] ?? problem,
    };
  }
  for (const item of items) {
    const stale = staleIndexAttributes(item, request);
    if (stale.length > 0) {
      return {
        ...found,
        brokenAt: Number(item.seq),
        problem: `index attributes do not match the event: ${stale.join(', ')}`,
      };
    }
  }
  return found;
}

function describe(finding: ChainFinding): string {
  if (finding.problem === undefined) {
    return `OK      ${finding.requestId}  ${finding.events} events`;
  }
  return (
    `BROKEN  ${finding.requestId}  seq ${finding.brokenAt ?? '?'}: ` +
    finding.problem
  );
}

async function verifyCommand(values: Values, stdout: OutputStream) {
  if (values.request !== undefined && values.all) {
    throw new UsageError('give --request <id> or --all, not both');
  }
  const range = timeRange(values, false);
  const print = (line: string) => stdout.write(`${line}\n`);
  print(auditSource());
  let checked = 0;
  let broken = 0;
  const report = (finding: ChainFinding) => {
    checked += 1;
    if (finding.problem !== undefined) broken += 1;
    print(describe(finding));
  };

  if (values.request !== undefined) {
    if (range.from !== undefined || range.to !== undefined) {
      throw new UsageError('--from and --to go with --all');
    }
    const request = await findRequest(values.request);
    if (request === undefined) {
      print(`MISSING ${values.request}: no such request`);
      return 1;
    }
    report(await verifyRequestChain(request));
  } else {
    for await (const page of requestsCreated(range)) {
      // A few chains at a time: verification is read-bound.
      for (let i = 0; i < page.length; i += 8) {
        const batch = page.slice(i, i + 8).map(verifyRequestChain);
        for (const finding of await Promise.all(batch)) report(finding);
      }
    }
  }
  print(
    `Verified ${checked} request${checked === 1 ? '' : 's'}: ` +
      `${checked - broken} OK, ${broken} broken.`,
  );
  return broken > 0 ? 1 : 0;
}

/** CSV columns: CONTRACT.md's event fields, in its order. */
const CSV_COLUMNS = AUDIT_EVENT_FIELDS;

/** One CSV field as RFC 4180 quotes it. */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value)
    ? `"${value.replaceAll('"', '""')}"`
    : value;
}

/** One event as a CSV row; `details` as canonical JSON in one column. */
export function csvRow(event: AuditEvent): string {
  return CSV_COLUMNS.map((column) =>
    csvField(
      column === 'details'
        ? canonicalJson(event.details)
        : String(event[column]),
    ),
  ).join(',');
}

async function writeAll(stream: OutputStream, chunk: string) {
  if (!stream.write(chunk)) {
    await new Promise<void>((resolve) => stream.once('drain', resolve));
  }
}

async function exportCommand(
  values: Values,
  stdout: OutputStream,
  stderr: OutputStream,
) {
  const format = values.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') {
    throw new UsageError('--format must be jsonl or csv');
  }
  const { from, to } = timeRange(values, true) as { from: string; to: string };
  const file =
    values.out === undefined ? undefined : createWriteStream(values.out);
  const sink: OutputStream = file ?? stdout;
  const progress = stderr.isTTY ? new ProgressBar(stderr) : undefined;
  let count = 0;
  try {
    if (file) await once(file, 'open');
    if (format === 'csv') await writeAll(sink, `${CSV_COLUMNS.join(',')}\n`);
    const pages = auditEventsBetween(
      { from, to },
      { onDay: (day, index, of) => progress?.day(day, index, of) },
    );
    for await (const page of pages) {
      const lines = page.map((event) =>
        format === 'csv' ? csvRow(event) : JSON.stringify(event),
      );
      await writeAll(sink, `${lines.join('\n')}\n`);
      count += page.length;
      progress?.events(count);
    }
  } finally {
    progress?.done();
    if (file) {
      file.end();
      await once(file, 'close');
    }
  }
  stderr.write(
    `Exported ${count} event${count === 1 ? '' : 's'} from ${from} to ` +
      `${to}${values.out ? ` to ${values.out}` : ''}.\n`,
  );
  return 0;
}

/** A one-line progress bar redrawn in place, at most ten times a second. */
class ProgressBar {
  private dayIndex = 0;
  private days = 1;
  private currentDay = '';
  private count = 0;
  private drawnAt = 0;

  constructor(private readonly stream: OutputStream) {}

  day(day: string, index: number, of: number) {
    this.currentDay = day;
    this.dayIndex = index;
    this.days = of;
    this.draw();
  }

  events(count: number) {
    this.count = count;
    this.draw();
  }

  done() {
    this.dayIndex = this.days;
    this.draw(true);
    this.stream.write('\n');
  }

  private draw(force = false) {
    const now = Date.now();
    if (!force && now - this.drawnAt < 100) return;
    this.drawnAt = now;
    const width = 30;
    const filled = Math.round((this.dayIndex / this.days) * width);
    const bar = '#'.repeat(filled).padEnd(width, '-');
    this.stream.write(
      `\r[${bar}] day ${Math.min(this.dayIndex + 1, this.days)}/` +
        `${this.days} ${this.currentDay}  ${this.count} events`,
    );
  }
}

/**
 * Stored requests created in the range, with the facts and decision
 * their intake recorded, for `policy simulate`. Every stored request was
 * allowed: denied ones are never stored.
 */
export async function loadHistory(
  range: HistoryRange,
): Promise<HistoricalRequest[]> {
  applyTableDefaults();
  console.error(auditSource());
  const bounds = timeRange(range, false);
  const history: HistoricalRequest[] = [];
  for await (const page of requestsCreated(bounds)) {
    for (const request of page) {
      history.push({
        requestId: request.requestId,
        facts: changeFacts(request, request.after),
        decision: {
          allowed: true,
          approvalsRequired: request.approvalsRequired,
          autoApproved: request.approvalsRequired === 0,
        },
      });
    }
  }
  return history;
}
