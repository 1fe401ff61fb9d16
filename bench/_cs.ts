import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runColdStart } from './cold-start.ts';
const work = await mkdtemp(join(tmpdir(), 'bench-cs-'));
const t = performance.now();
const r = await runColdStart(work, Number(process.argv[2] ?? 2));
console.table(r.rows.map(({floorClients, ...x}) => x));
console.log(r.cedar, performance.now() - t);
