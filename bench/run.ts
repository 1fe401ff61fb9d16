/**
 * `npm run bench`: what every request costs, beside the floor, on this
 * machine and in this run. Cold starts first (fresh processes, nothing
 * else running), then DynamoDB Local for intake, end to end and cost,
 * each in a process of its own. Prints a table, writes
 * `bench/results.json` and `bench/results.md`, and stops DynamoDB Local.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningDynamo, startDynamo } from '../local/dynamodb.ts';
import { runInChild } from './child.ts';
import { type ColdStartResult, runColdStart } from './cold-start.ts';
import type { EndToEndResult } from './end-to-end.ts';
import type { IntakeResult } from './intake.ts';
import { loadAverage, machineLine, round } from './stats.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));

const TARGETS = {
  intakeRatio: 1.5,
  coldStartRatio: 1.3,
  transitions: 8,
  writeUnitsPerAuditEvent: 2,
};

interface Check {
  what: string;
  value: number;
  target: string;
  pass: boolean;
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');

/** A child that died of a signal (V8 has aborted here) gets one retry. */
async function inChild<T>(
  name: string,
  work: string,
  env: Record<string, string>,
): Promise<T> {
  const file = new URL(`./${name}.ts`, import.meta.url).href;
  try {
    return await runInChild<T>(file, work, env);
  } catch (error) {
    if (!/exit null/.test((error as Error).message)) throw error;
    console.error(`${name}: the process crashed; running it once more`);
    return runInChild<T>(file, work, env);
  }
}

function checks(
  intake: IntakeResult,
  coldStart: ColdStartResult,
  endToEnd: EndToEndResult,
): Check[] {
  const { cost } = endToEnd;
  const writeLimit =
    TARGETS.writeUnitsPerAuditEvent * cost.auditEventsPerRequest;
  return [
    {
      what: 'intake ratio',
      value: intake.ratio,
      target: `<= ${TARGETS.intakeRatio}`,
      pass: intake.ratio <= TARGETS.intakeRatio,
    },
    ...coldStart.rows.map((row) => ({
      what: `cold start ratio ${row.function}`,
      value: row.ratio,
      target: `<= ${TARGETS.coldStartRatio}`,
      pass: row.ratio <= TARGETS.coldStartRatio,
    })),
    {
      what: 'transitions per approved request',
      value: cost.transitionsPerRequest,
      target: `<= ${TARGETS.transitions}`,
      pass: cost.transitionsPerRequest <= TARGETS.transitions,
    },
    {
      what: 'write units per approved request',
      value: cost.writeUnitsPerRequest,
      target: `<= ${writeLimit} (2 x ${cost.auditEventsPerRequest} audit events)`,
      pass: cost.writeUnitsPerRequest <= writeLimit,
    },
  ];
}

/** Rows of cells as an aligned text table. */
function textTable(rows: (string | number)[][]): string {
  const cells = rows.map((row) => row.map(String));
  const widths = cells[0]?.map((_, i) =>
    Math.max(...cells.map((row) => row[i]?.length ?? 0)),
  );
  return cells
    .map((row) =>
      row
        .map((cell, i) =>
          i === 0
            ? cell.padEnd(widths?.[i] ?? 0)
            : cell.padStart(widths?.[i] ?? 0),
        )
        .join('  '),
    )
    .join('\n');
}

function markdownTable(rows: (string | number)[][]): string {
  const [head, ...body] = rows.map((row) => `| ${row.join(' | ')} |`);
  const rule = `|${rows[0]?.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`;
  return [head, rule, ...body].join('\n');
}

interface Results {
  machine: string;
  loadAverage: { start: number; end: number };
  date: string;
  durationSec: number;
  intake: IntakeResult;
  endToEnd: Omit<EndToEndResult, 'cost'>;
  coldStart: ColdStartResult['rows'];
  coldStartRuns: number;
  cedar: ColdStartResult['cedar'];
  cost: EndToEndResult['cost'];
  targets: Check[];
}

function tables(results: Results) {
  const { intake, endToEnd, cost } = results;
  const byWhat = new Map(results.targets.map((c) => [c.what, c]));
  const mark = (what: string) => verdict(byWhat.get(what)?.pass ?? false);
  const intakeRows: (string | number)[][] = [
    ['intake (submit-request, in-process)', 'ours', 'floor', 'target', ''],
    ['requests per second', intake.rps, intake.floorRps, '', ''],
    ['p50 ms', intake.p50Ms, intake.floorP50Ms, '', ''],
    ['p99 ms', intake.p99Ms, intake.floorP99Ms, '', ''],
    [
      'ratio (time per request)',
      intake.ratio,
      1,
      '<= 1.5',
      mark('intake ratio'),
    ],
  ];
  const endRows: (string | number)[][] = [
    [`end to end (${endToEnd.requests} auto-approved, HTTP)`, 'value'],
    ['completed per second', endToEnd.completedPerSec],
    ['p50 ms submit -> SUCCEEDED', endToEnd.p50Ms],
    ['p99 ms submit -> SUCCEEDED', endToEnd.p99Ms],
  ];
  const coldRows: (string | number)[][] = [
    [
      'cold start (median of fresh processes)',
      'bundle KiB',
      'init ms',
      'floor ms',
      'ratio',
      'with Cedar',
      'policy ready ms',
      'target',
      '',
    ],
    ...results.coldStart.map((row) => [
      row.function,
      row.bundleKb,
      row.initMs,
      row.floorInitMs,
      row.ratio,
      row.carriesCedar ? row.ratioWithCedar : '-',
      row.policyReadyMs ?? '-',
      '<= 1.3',
      mark(`cold start ratio ${row.function}`),
    ]),
    [
      'Cedar wasm alone',
      results.cedar.wasmKb,
      results.cedar.initMs,
      '',
      '',
      '',
      '',
      '',
      '',
    ],
  ];
  const writeCheck = byWhat.get('write units per approved request');
  const costRows: (string | number)[][] = [
    ['cost per approved request', 'value', 'target', ''],
    [
      'state transitions',
      cost.transitionsPerRequest,
      '<= 8',
      mark('transitions per approved request'),
    ],
    ['Lambda invocations', cost.lambdaInvocationsPerRequest, '', ''],
    ['audit events', cost.auditEventsPerRequest, '', ''],
    [
      'DynamoDB write units',
      cost.writeUnitsPerRequest,
      `<= ${round(2 * cost.auditEventsPerRequest)}`,
      verdict(writeCheck?.pass ?? false),
    ],
    ['DynamoDB read units', cost.readUnitsPerRequest, '', ''],
  ];
  return { intakeRows, endRows, coldRows, costRows };
}

function markdown(results: Results): string {
  const t = tables(results);
  const byTarget = Object.entries(results.cost.writeUnitsByTarget)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    '<!-- written by `npm run bench` (bench/run.ts) -->',
    `Machine: ${results.machine}; load average ${results.loadAverage.start} at start. ` +
      `Run ${results.date}, ${results.durationSec} s.`,
    '',
    markdownTable(t.intakeRows),
    '',
    markdownTable(t.endRows),
    '',
    markdownTable(t.coldRows),
    '',
    markdownTable(t.costRows),
    '',
    `Intake: ${results.intake.requests} requests per side, ${results.intake.concurrency} in flight, ` +
      `alternating rounds; the floor makes the same EKS reads, the same ` +
      `TransactWriteItems and StartExecution with the SDK (${results.intake.stepFunctions}). ` +
      `End to end: ${results.endToEnd.concurrency} clients, each polling GET every ` +
      `${results.endToEnd.pollIntervalMs} ms. Cold start: median of ` +
      `${results.coldStartRuns} fresh node processes, import timed inside the ` +
      "process, Lambda environment from template.yaml; ratio takes Cedar's " +
      'wasm init out; "policy ready" is import start until loadPolicyEngine ' +
      `resolves. Cost: ${results.cost.requests} requests not polled; write ` +
      'units as DynamoDB bills transactions (2 per item and KB, indexes ' +
      `included), by target: ${byTarget}.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadStart = loadAverage();
  const work = await mkdtemp(join(tmpdir(), 'eks-access-gate-bench-'));
  console.log(`${machineLine()} (load average ${loadStart})`);
  let dynamo: RunningDynamo | undefined;
  const stopDynamo = async () => {
    const running = dynamo;
    dynamo = undefined;
    await running?.stop();
  };
  const onSignal = () => {
    void stopDynamo().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    console.log('cold start: bundling and sampling fresh processes ...');
    const coldStart = await runColdStart(work, 10);
    console.log('starting DynamoDB Local ...');
    dynamo = await startDynamo({});
    const env = {
      BENCH_DYNAMO_ENDPOINT: dynamo.endpoint,
      BENCH_WORK_DIR: work,
    };
    console.log('intake ...');
    const intake = await inChild<IntakeResult>('intake', work, env);
    console.log('end to end and cost ...');
    const { cost, ...endToEnd } = await inChild<EndToEndResult>(
      'end-to-end',
      work,
      env,
    );
    await stopDynamo();

    const results: Results = {
      machine: machineLine(),
      loadAverage: { start: loadStart, end: loadAverage() },
      date: new Date().toISOString(),
      durationSec: round((performance.now() - started) / 1000, 0),
      intake,
      endToEnd,
      coldStart: coldStart.rows,
      coldStartRuns: coldStart.runs,
      cedar: coldStart.cedar,
      cost,
      targets: checks(intake, coldStart, { ...endToEnd, cost }),
    };
    await writeFile(
      join(HERE, 'results.json'),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    await writeFile(join(HERE, 'results.md'), markdown(results));
    const t = tables(results);
    console.log('');
    for (const rows of [t.intakeRows, t.endRows, t.coldRows, t.costRows]) {
      console.log(`${textTable(rows)}\n`);
    }
    const missed = results.targets.filter((c) => !c.pass);
    console.log(
      missed.length === 0
        ? 'All targets met.'
        : `Missed: ${missed.map((c) => `${c.what} ${c.value} (${c.target})`).join('; ')}`,
    );
    console.log(
      `Wrote bench/results.json and bench/results.md in ${results.durationSec} s.`,
    );
  } finally {
    await stopDynamo();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
