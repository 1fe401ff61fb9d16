/**
 * What Cedar costs the functions that use it: on a cold start, loading the
 * wasm and building the engine from `policies/`; per request, each
 * question. Cold figures come from fresh `node` processes (median of 10),
 * since a warm process would hide the wasm compile. The child runs the
 * loader bundled by esbuild, as a Lambda does, so neither tsx nor the
 * seed's zod schema is counted.
 *
 * Run: `npx tsx bench/cedar-cold-start.ts` (`--runs N` to change 10).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { ChangeFacts, PolicyEngine } from '../core/policy.ts';

const cedarPath = createRequire(import.meta.url).resolve(
  '@cedar-policy/cedar-wasm/nodejs',
);

interface ColdSample {
  importCedarMs: number;
  buildEngineMs: number;
  firstIntakeMs: number;
}

const change: ChangeFacts = {
  requestedBy: 'alice@example.com',
  clusterName: 'demo',
  principalArn: 'arn:aws:iam::111122223333:role/developers',
  entryType: 'STANDARD',
  reason: 'bench',
  groupsAdded: ['cluster-admins'],
  groupsRemoved: [],
  usernameBefore: '',
  usernameAfter: '',
};

/**
 * The child: one cold start. Timed from inside the process, so node's own
 * start-up is reported apart.
 */
const childSource = `
const t0 = performance.now();
await import(${JSON.stringify(pathToFileURL(cedarPath).href)});
const t1 = performance.now();
const { loadPolicyEngine } = await import(process.env.BENCH_BUNDLE);
const engine = await loadPolicyEngine(
  process.env.BENCH_POLICY_DIR,
  process.env.BENCH_ENTITIES,
);
const t2 = performance.now();
engine.evaluateIntake(JSON.parse(process.env.BENCH_FACTS));
const t3 = performance.now();
process.stdout.write(JSON.stringify({
  importCedarMs: t1 - t0,
  buildEngineMs: t2 - t1,
  firstIntakeMs: t3 - t2,
}));
`;

/** Bundles the loader as a Lambda would, cedar-wasm left outside. */
async function bundleLoader(dir: string): Promise<string> {
  const outfile = join(dir, 'policy-loader.mjs');
  await build({
    entryPoints: [
      fileURLToPath(new URL('../adapters/policy-loader.ts', import.meta.url)),
    ],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'error',
    plugins: [
      {
        name: 'cedar-outside',
        setup(plugin) {
          plugin.onResolve({ filter: /^@cedar-policy\/cedar-wasm/ }, () => ({
            path: cedarPath,
            external: true,
          }));
        },
      },
    ],
  });
  return outfile;
}

/** The default policies over the seed, plus `extraUsers` filler users. */
async function buildSeedEngine(extraUsers: number): Promise<PolicyEngine> {
  const { buildPolicyEngine, defaultPolicyDir } = await import(
    '../adapters/policy-loader.ts'
  );
  const { entitiesFromSeed } = await import('../local/policy-entities.ts');
  const { loadSeed } = await import('../local/seed.ts');
  const entities = [
    ...entitiesFromSeed(await loadSeed()),
    ...Array.from({ length: extraUsers }, (_, i) => ({
      uid: { type: 'User', id: `user${i}@example.com` },
      attrs: {},
      parents: [{ type: 'Group', id: 'platform-approvers' }],
    })),
  ];
  return buildPolicyEngine(defaultPolicyDir, entities);
}

/** Microseconds per call, after a warm-up. */
function perCall(call: () => unknown, times = 2000): number {
  for (let i = 0; i < 200; i += 1) call();
  const start = performance.now();
  for (let i = 0; i < times; i += 1) call();
  return ((performance.now() - start) / times) * 1000;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

const fixed = (value: number, digits = 1) => value.toFixed(digits).padStart(8);

async function main() {
  const runsFlag = process.argv.indexOf('--runs');
  const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 10;
  const work = await mkdtemp(join(tmpdir(), 'cedar-bench-'));
  const { defaultPolicyDir } = await import('../adapters/policy-loader.ts');
  const { entitiesFromSeed } = await import('../local/policy-entities.ts');
  const { loadSeed } = await import('../local/seed.ts');
  const entitiesFile = join(work, 'entities.json');
  await writeFile(
    entitiesFile,
    JSON.stringify(entitiesFromSeed(await loadSeed())),
  );
  const childFile = join(work, 'child.mjs');
  await writeFile(childFile, childSource);
  const env = {
    ...process.env,
    BENCH_BUNDLE: pathToFileURL(await bundleLoader(work)).href,
    BENCH_POLICY_DIR: defaultPolicyDir,
    BENCH_ENTITIES: entitiesFile,
    BENCH_FACTS: JSON.stringify(change),
  };

  const samples: ColdSample[] = [];
  const processMs: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    const child = spawnSync(process.execPath, [childFile], {
      encoding: 'utf8',
      env,
    });
    processMs.push(performance.now() - start);
    if (child.status !== 0) throw new Error(`child failed: ${child.stderr}`);
    samples.push(JSON.parse(child.stdout) as ColdSample);
  }
  await rm(work, { recursive: true, force: true });

  console.log(`Cold start, median of ${runs} fresh node processes (ms)`);
  const rows: Array<[string, number]> = [
    ['import cedar-wasm', median(samples.map((s) => s.importCedarMs))],
    [
      'build engine (read, parse, validate)',
      median(samples.map((s) => s.buildEngineMs)),
    ],
    ['first evaluateIntake', median(samples.map((s) => s.firstIntakeMs))],
    ['whole process, node start-up included', median(processMs)],
  ];
  for (const [label, ms] of rows)
    console.log(`  ${label.padEnd(40)}${fixed(ms)}`);

  console.log('Per evaluation, warm (microseconds per call)');
  for (const users of [0, 500]) {
    const engine = await buildSeedEngine(users);
    const suffix = users ? ` (+${users} users)` : '';
    const timings: Array<[string, number]> = [
      [
        'evaluateIntake (2-3 Cedar calls)',
        perCall(() => engine.evaluateIntake(change)),
      ],
      [
        'evaluateDecision',
        perCall(() => engine.evaluateDecision('bob@example.com', change)),
      ],
      [
        'evaluateRead',
        perCall(() => engine.evaluateRead('auditor@example.com', change)),
      ],
    ];
    for (const [label, us] of timings) {
      console.log(`  ${`${label}${suffix}`.padEnd(40)}${fixed(us, 0)}`);
    }
  }
}

await main();
