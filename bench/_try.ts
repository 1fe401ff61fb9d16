import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamo } from '../local/dynamodb.ts';
import { runInChild } from './child.ts';
const work = await mkdtemp(join(tmpdir(), 'bench-'));
const dynamo = await startDynamo({});
try {
  const which = process.argv[2] ?? 'intake';
  const t = performance.now();
  console.log(await runInChild(new URL(`./${which}.ts`, import.meta.url).href, work, { BENCH_DYNAMO_ENDPOINT: dynamo.endpoint, BENCH_WORK_DIR: work }));
  console.log('ms', performance.now() - t, work);
} finally { await dynamo.stop(); }
