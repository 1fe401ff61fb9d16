/**
 * Cold start per function: the bundle as `npm run build` (and SAM) makes
 * it, and its module initialisation in fresh `node` processes, beside a
 * floor bundle that only imports and constructs the SDK clients the
 * function's bundle contains. Cedar's wasm is measured on its own, so the
 * functions that carry it can be compared with Cedar counted apart; for
 * those that load policies, the time until `loadPolicyEngine` resolves is
 * measured too.
 *
 * Every sample is a new process, timed from inside: `performance.now()`
 * around the dynamic import. Runs are interleaved (ours, floor, ours, ...)
 * so the machine's load falls on both alike.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { FUNCTION_NAMES } from '../functions/routes.ts';
import { writePolicyEntities } from '../local/policy-entities.ts';
import { loadSeed } from '../local/seed.ts';
import {
  type FunctionBuild,
  functionBuilds,
  loadTemplate,
  type Template,
} from '../scripts/build.ts';
import { median, round } from './stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CEDAR_DIR = dirname(
  createRequire(import.meta.url).resolve('@cedar-policy/cedar-wasm/nodejs'),
);

export interface ColdStartRow {
  function: string;
  bundleKb: number;
  initMs: number;
  floorInitMs: number;
  /** Ours over the floor, Cedar's wasm init taken out where it is bundled. */
  ratio: number;
  /** Ours over the floor with Cedar left in. */
  ratioWithCedar: number;
  floorBundleKb: number;
  /** Node start to the import resolved, median. */
  processToInitMs: number;
  carriesCedar: boolean;
  /** Import start until `loadPolicyEngine()` resolves; null if unused. */
  policyReadyMs: number | null;
  floorClients: string[];
}

export interface ColdStartResult {
  runs: number;
  rows: ColdStartRow[];
  cedar: { wasmKb: number; initMs: number };
  env: string;
}

/** SDK packages a floor bundle imports and how it constructs them. */
const CLIENTS: Record<string, { imports: string; construct: string }> = {
  '@aws-sdk/client-dynamodb': {
    imports: "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
    construct: 'new DynamoDBClient({})',
  },
  '@aws-sdk/lib-dynamodb': {
    imports: "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
    construct: 'DynamoDBDocumentClient.from(new DynamoDBClient({}))',
  },
  '@aws-sdk/client-eks': {
    imports: "import { EKSClient } from '@aws-sdk/client-eks';",
    construct: 'new EKSClient({})',
  },
  '@aws-sdk/client-sfn': {
    imports: "import { SFNClient } from '@aws-sdk/client-sfn';",
    construct: 'new SFNClient({})',
  },
  '@aws-sdk/client-secrets-manager': {
    imports:
      "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
    construct: 'new SecretsManagerClient({})',
  },
  '@aws-sdk/client-s3': {
    imports: "import { S3Client } from '@aws-sdk/client-s3';",
    construct: 'new S3Client({})',
  },
  '@slack/web-api': {
    imports: "import { WebClient } from '@slack/web-api';",
    construct: "new WebClient('xoxb-bench')",
  },
};

/** The child: one cold start, timed from inside the process. */
const RUNNER = `
const t0 = performance.now();
const mod = await import(process.env.BENCH_BUNDLE);
const t1 = performance.now();
let ready = null;
if (process.env.BENCH_POLICY === '1') {
  await mod.loadPolicyEngine();
  ready = performance.now() - t0;
}
process.stdout.write(JSON.stringify({ initMs: t1 - t0, toImportMs: t1, ready }));
`;

interface Sample {
  initMs: number;
  toImportMs: number;
  ready: number | null;
}

/**
 * Bundles the function with its template esbuild options (as
 * scripts/build.ts does) and reads from esbuild's metafile what the
 * bundle contains: SDK client packages, Cedar, the policy loader.
 */
async function bundleFunction(fn: FunctionBuild, outdir: string) {
  const { metafile } = await build({
    ...fn.options,
    outdir,
    metafile: true,
    logLevel: 'silent',
  });
  const extension = fn.options.outExtension?.['.js'] ?? '.js';
  const file = join(outdir, `handler${extension}`);
  const inputs = Object.keys(metafile.inputs);
  const packages = new Set(
    inputs.flatMap((path) => {
      const name = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1];
      return name ? [name] : [];
    }),
  );
  return {
    file,
    bytes: (await stat(file)).size,
    clients: Object.keys(CLIENTS).filter((name) => packages.has(name)),
    carriesCedar: packages.has('@cedar-policy/cedar-wasm'),
    loadsPolicies: inputs.includes('adapters/policy-loader.ts'),
  };
}

/** Bundles `contents` with the function's own esbuild options. */
async function bundleSource(
  fn: FunctionBuild,
  contents: string,
  outfile: string,
): Promise<number> {
  const { entryPoints: _entry, outExtension: _ext, ...options } = fn.options;
  await build({
    ...(options as BuildOptions),
    stdin: { contents, resolveDir: ROOT, sourcefile: 'entry.ts', loader: 'ts' },
    outfile,
    logLevel: 'silent',
  });
  return (await stat(outfile)).size;
}

function floorSource(clients: string[]): string {
  const needsBase = clients.includes('@aws-sdk/lib-dynamodb');
  const chosen = clients.filter(
    (name) => !(needsBase && name === '@aws-sdk/client-dynamodb'),
  );
  const imports = new Set(
    chosen.flatMap((name) => [
      ...(name === '@aws-sdk/lib-dynamodb'
        ? [CLIENTS['@aws-sdk/client-dynamodb']?.imports ?? '']
        : []),
      CLIENTS[name]?.imports ?? '',
    ]),
  );
  const constructed = chosen.map((name) => CLIENTS[name]?.construct);
  return `${[...imports].join('\n')}\nexport const clients = [${constructed.join(', ')}];\n`;
}

/**
 * The environment Lambda gives the function: the template's variables
 * (Globals and the function's own), intrinsics replaced by local values,
 * and the runtime's own variables. Nothing is inherited from this shell.
 */
function lambdaEnv(
  template: Template,
  fn: FunctionBuild,
  bundleFile: string,
  local: Record<string, string>,
): Record<string, string> {
  const globals = (
    template as unknown as {
      Globals?: {
        Function?: { Environment?: { Variables?: Record<string, unknown> } };
      };
    }
  ).Globals?.Function?.Environment?.Variables;
  const properties = template.Resources[fn.logicalId]?.Properties as
    | {
        MemorySize?: number;
        Environment?: { Variables?: Record<string, unknown> };
      }
    | undefined;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries({
    ...globals,
    ...properties?.Environment?.Variables,
  })) {
    env[name] =
      typeof value === 'string' ? value : `bench-${name.toLowerCase()}`;
  }
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(properties?.MemorySize ?? 128),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'bench',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    LAMBDA_TASK_ROOT: dirname(bundleFile),
    _HANDLER: 'handler.handler',
    ...env,
    ...local,
  };
}

function sample(env: Record<string, string>): Sample {
  const child = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', RUNNER],
    { env, encoding: 'utf8' },
  );
  if (child.status !== 0) {
    throw new Error(`cold start child failed: ${child.stderr.slice(-2000)}`);
  }
  return JSON.parse(child.stdout) as Sample;
}

/** Builds every bundle, then samples `runs` fresh processes of each. */
export async function runColdStart(
  workDir: string,
  runs = 10,
): Promise<ColdStartResult> {
  const template = await loadTemplate();
  const builds = functionBuilds(template).filter((fn) =>
    FUNCTION_NAMES.includes(fn.name),
  );
  const entitiesFile = join(workDir, 'entities.json');
  await writePolicyEntities(await loadSeed(), entitiesFile);
  const local = {
    REQUESTS_TABLE: 'bench-requests',
    AUDIT_TABLE: 'bench-audit',
    IDEMPOTENCY_TABLE: 'bench-idempotency',
    STATE_MACHINE_ARN:
      'arn:aws:states:us-east-1:111122223333:stateMachine:access-change',
    SLACK_SECRET_ARN:
      'arn:aws:secretsmanager:us-east-1:111122223333:secret:slack',
    POLICY_DIR: join(ROOT, 'policies'),
    POLICY_ENTITIES_FILE: entitiesFile,
    CEDAR_WASM_DIR: CEDAR_DIR,
  };

  // Floors depend only on the clients, so functions share them.
  const floors = new Map<string, Promise<{ file: string; bytes: number }>>();
  const floorFor = (fn: FunctionBuild, clients: string[]) => {
    const key = clients.join(',');
    let floor = floors.get(key);
    if (!floor) {
      const file = join(workDir, 'floor', `${floors.size}`, 'handler.mjs');
      floor = mkdir(dirname(file), { recursive: true })
        .then(() => bundleSource(fn, floorSource(clients), file))
        .then((bytes) => ({ file, bytes }));
      floors.set(key, floor);
    }
    return floor;
  };
  const prepared = [];
  for (const fn of builds) {
    const ours = await bundleFunction(fn, join(workDir, 'bundles', fn.name));
    const floor = await floorFor(fn, ours.clients);
    // For the functions that load policies the child runs the same bundle
    // with the loader re-exported, to await the load the module started;
    // the import is timed before that await, so init is the same code.
    let sampled = ours.file;
    if (ours.loadsPolicies) {
      sampled = join(workDir, 'policy', fn.name, 'handler.mjs');
      await mkdir(dirname(sampled), { recursive: true });
      await bundleSource(
        fn,
        `export * from './functions/${fn.name}/handler.ts';\n` +
          "export { loadPolicyEngine } from './adapters/policy-loader.ts';\n",
        sampled,
      );
    }
    prepared.push({ fn, ours, floor, sampled });
  }
  const first = builds[0];
  if (!first) throw new Error('template.yaml has no functions to bundle');
  const cedarFile = join(workDir, 'cedar', 'cedar.mjs');
  await mkdir(dirname(cedarFile), { recursive: true });
  await bundleSource(
    first,
    "export * as cedar from '@cedar-policy/cedar-wasm/nodejs';\n",
    cedarFile,
  );

  const samples = new Map<string, Sample[]>();
  const push = (key: string, value: Sample) =>
    samples.set(key, [...(samples.get(key) ?? []), value]);
  const url = (file: string) => pathToFileURL(file).href;
  for (let run = 0; run < runs; run += 1) {
    const floorsDone = new Set<string>();
    for (const p of prepared) {
      const env = lambdaEnv(template, p.fn, p.ours.file, local);
      push(
        p.fn.name,
        sample({
          ...env,
          BENCH_BUNDLE: url(p.sampled),
          BENCH_POLICY: p.ours.loadsPolicies ? '1' : '0',
        }),
      );
      if (!floorsDone.has(p.floor.file)) {
        floorsDone.add(p.floor.file);
        push(p.floor.file, sample({ ...env, BENCH_BUNDLE: url(p.floor.file) }));
      }
    }
    push(
      'cedar',
      sample({
        ...lambdaEnv(template, first, cedarFile, local),
        BENCH_BUNDLE: url(cedarFile),
      }),
    );
  }

  const med = (key: string, pick: (s: Sample) => number) =>
    median((samples.get(key) ?? []).map(pick));
  const cedarInit = med('cedar', (s) => s.initMs);
  const rows = prepared.map((p): ColdStartRow => {
    const initMs = med(p.fn.name, (s) => s.initMs);
    const floorInitMs = med(p.floor.file, (s) => s.initMs);
    const apart = p.ours.carriesCedar ? initMs - cedarInit : initMs;
    return {
      function: p.fn.name,
      bundleKb: round(p.ours.bytes / 1024),
      initMs: round(initMs),
      floorInitMs: round(floorInitMs),
      ratio: round(apart / floorInitMs, 2),
      ratioWithCedar: round(initMs / floorInitMs, 2),
      floorBundleKb: round(p.floor.bytes / 1024),
      processToInitMs: round(med(p.fn.name, (s) => s.toImportMs)),
      carriesCedar: p.ours.carriesCedar,
      policyReadyMs: p.ours.loadsPolicies
        ? round(med(p.fn.name, (s) => s.ready ?? Number.NaN))
        : null,
      floorClients: p.ours.clients,
    };
  });
  const wasm = await stat(join(CEDAR_DIR, 'cedar_wasm_bg.wasm'));
  await writeFile(
    join(workDir, 'cold-start-samples.json'),
    JSON.stringify([...samples]),
  );
  return {
    runs,
    rows,
    cedar: { wasmKb: round(wasm.size / 1024), initMs: round(cedarInit) },
    env: 'template.yaml variables + Lambda runtime variables, NODE_OPTIONS from the template',
  };
}
