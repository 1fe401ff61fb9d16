import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildPolicyEngine,
  defaultPolicyDir,
  readEntitiesFile,
  readPolicyDir,
} from '../adapters/policy-loader.ts';
import {
  type CaseResult,
  type PolicyCase,
  policyCaseFileSchema,
  runPolicyCase,
} from '../core/policy/cases.ts';
import { createCedarPolicyEngine } from '../core/policy/cedar-engine.ts';
import {
  formatProblem,
  PolicySetError,
  parsePolicySources,
  validatePolicies,
} from '../core/policy/policy-set.ts';
import { type HistoricalRequest, simulate } from '../core/policy/simulate.ts';
import { entitiesFromSeed } from '../local/policy-entities.ts';
import { loadSeed } from '../local/seed.ts';

/** The time window of requests `policy simulate` replays. */
export interface HistoryRange {
  /** ISO-8601; requests created at or after it. */
  from?: string;
  /** ISO-8601; requests created before it. */
  to?: string;
}

/** What `policyCommand` needs from outside; all optional. */
export interface PolicyCommandDeps {
  /** Stored requests with their facts and decisions, for `simulate`. */
  loadHistory?: (range: HistoryRange) => Promise<HistoricalRequest[]>;
  /** Receives each line of normal output; defaults to stdout. */
  out?: (line: string) => void;
  /** Receives each line of error output; defaults to stderr. */
  err?: (line: string) => void;
}

const usage = `Usage:
  eks-access-gate policy validate [--policies <dir>]
  eks-access-gate policy test [--policies <dir>] [--cases <dir>]
      [--entities <file>]
  eks-access-gate policy simulate --policies <dir> [--from <iso>]
      [--to <iso>] [--entities <file>]

  --policies  folder of *.cedar files and schema.cedarschema
              (default: policies/)
  --cases     folder of *.json test cases (default: <policies>/tests)
  --entities  Cedar entities JSON (test default: from local/seed.json;
              simulate default: POLICY_ENTITIES_FILE, else local/seed.json)`;

const options = {
  policies: { type: 'string' },
  cases: { type: 'string' },
  entities: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `eks-access-gate policy <validate|test|simulate>`. Returns the exit
 * code: 0 success, 1 a policy, case or load failed, 2 a usage error.
 *
 * @param argv - the arguments after `policy`.
 */
export async function policyCommand(
  argv: string[],
  deps: PolicyCommandDeps = {},
): Promise<number> {
  const out = deps.out ?? ((line) => process.stdout.write(`${line}\n`));
  const err = deps.err ?? ((line) => process.stderr.write(`${line}\n`));

  const parsed = parse(argv);
  if (parsed instanceof Error) {
    err(`${parsed.message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [sub, ...extra] = positionals;
  if (values.help) {
    out(usage);
    return 0;
  }
  if (extra.length > 0 || sub === undefined) {
    err(usage);
    return 2;
  }
  // Relative, so that output names `policies/x.cedar` as a user typed it.
  const dir =
    values.policies ?? (relative(process.cwd(), defaultPolicyDir) || '.');

  try {
    switch (sub) {
      case 'validate':
        return await validateCommand(dir, out);
      case 'test':
        return await testCommand(
          dir,
          values.cases ?? join(dir, 'tests'),
          values.entities,
          out,
        );
      case 'simulate': {
        if (values.policies === undefined) {
          err(`simulate needs --policies <dir>\n\n${usage}`);
          return 2;
        }
        if (!deps.loadHistory) {
          err('simulate needs the request history, which is not wired here');
          return 2;
        }
        const range: HistoryRange = {
          ...(values.from === undefined ? {} : { from: values.from }),
          ...(values.to === undefined ? {} : { to: values.to }),
        };
        const history = await deps.loadHistory(range);
        const entities =
          values.entities ?? process.env.POLICY_ENTITIES_FILE ?? undefined;
        return await simulateCommand(dir, entities, history, out);
      }
      default:
        err(`unknown policy command: ${sub}\n\n${usage}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof PolicySetError) {
      for (const problem of error.problems) err(formatProblem(problem));
    } else {
      err(error instanceof Error ? error.message : String(error));
    }
    return 1;
  }
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true });
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Parses every file on its own and validates them together against the
 * schema, so one broken file does not hide the state of the others.
 */
async function validateCommand(dir: string, out: (line: string) => void) {
  const files = await readPolicyDir(dir);
  const { policies, problems } = parsePolicySources(files.policies);
  problems.push(
    ...validatePolicies(policies, files.schemaText, files.schemaFile),
  );
  if (problems.length === 0) {
    // Also checks the schema's contexts against what the engine sends.
    try {
      createCedarPolicyEngine({
        policiesText: files.policies,
        schemaText: files.schemaText,
        schemaFile: files.schemaFile,
        entities: [],
      });
    } catch (error) {
      if (!(error instanceof PolicySetError)) throw error;
      problems.push(...error.problems);
    }
  }

  for (const file of [files.schemaFile, ...Object.keys(files.policies)]) {
    const own = problems.filter((p) => p.file === file);
    const count = policies.filter((p) => p.file === file).length;
    const what = file === files.schemaFile ? 'schema' : `${count} policies`;
    out(own.length === 0 ? `OK    ${file} (${what})` : `FAIL  ${file}`);
    for (const problem of own) out(`      ${formatProblem(problem)}`);
  }
  const failed = problems.length > 0;
  out(failed ? `${problems.length} problem(s)` : 'All policies are valid');
  return failed ? 1 : 0;
}

async function testCommand(
  dir: string,
  casesDir: string,
  entitiesFile: string | undefined,
  out: (line: string) => void,
) {
  const entities = await entitiesOrSeed(entitiesFile);
  const engine = await buildPolicyEngine(dir, entities, entitiesFile);
  const caseFiles = (await readdir(casesDir))
    .filter((name) => name.endsWith('.json'))
    .sort();
  if (caseFiles.length === 0) {
    out(`no *.json cases in ${casesDir}`);
    return 1;
  }

  let passed = 0;
  let failed = 0;
  for (const name of caseFiles) {
    const file = join(casesDir, name);
    const cases = await readCases(file);
    if (!Array.isArray(cases)) {
      out(`FAIL  ${file}`);
      for (const problem of cases.problems) out(`      ${problem}`);
      failed += 1;
      continue;
    }
    out(file);
    for (const result of cases.map((c) => runPolicyCase(engine, c))) {
      printCase(result, out);
      if (result.failures.length === 0) passed += 1;
      else failed += 1;
    }
  }
  out(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

function printCase(result: CaseResult, out: (line: string) => void) {
  out(`  ${result.failures.length === 0 ? 'PASS' : 'FAIL'}  ${result.name}`);
  for (const failure of result.failures) out(`        ${failure}`);
}

async function readCases(
  file: string,
): Promise<PolicyCase[] | { problems: string[] }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    return { problems: [`not JSON: ${(error as Error).message}`] };
  }
  const parsed = policyCaseFileSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`,
      ),
    };
  }
  return parsed.data.cases;
}

async function simulateCommand(
  dir: string,
  entitiesFile: string | undefined,
  history: HistoricalRequest[],
  out: (line: string) => void,
) {
  const entities = await entitiesOrSeed(entitiesFile);
  const candidate = await buildPolicyEngine(dir, entities, entitiesFile);
  const changed = simulate(history, candidate);

  if (changed.length === 0) {
    out(`No outcome changes across ${history.length} request(s).`);
    return 0;
  }
  const rows = changed.map((c) => [
    c.requestId,
    c.before,
    c.after,
    (c.policyIds.length > 0 ? c.policyIds : c.reasons).join(', '),
  ]);
  for (const line of table(['REQUEST', 'BEFORE', 'AFTER', 'WHY'], rows)) {
    out(line);
  }
  out(`${changed.length} of ${history.length} request(s) would change.`);
  return 0;
}

/** Left-aligned columns, two spaces apart. */
function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

/**
 * Cases are written against the seed's people and clusters, so the seed
 * is the default; a file stands in for a real deployment's entities.
 */
async function entitiesOrSeed(file: string | undefined): Promise<unknown> {
  return file === undefined
    ? entitiesFromSeed(await loadSeed())
    : readEntitiesFile(file);
}
