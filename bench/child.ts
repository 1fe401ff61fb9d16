/**
 * Runs one benchmark in a process of its own. The product's modules keep
 * their SDK clients and caches for the life of a process, so each phase
 * that loads them gets a fresh one; the product's logs go to a file, the
 * result comes back as JSON.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RESULT_FILE = 'BENCH_RESULT_FILE';

/** True in the child started for `file`; `file` is `import.meta.url`. */
export function isChild(file: string): boolean {
  return process.env.BENCH_CHILD === fileURLToPath(file);
}

/** In the child: runs `main` and hands its result to the parent. */
export async function childMain(main: () => Promise<unknown>): Promise<void> {
  try {
    const result = await main();
    await writeFile(process.env[RESULT_FILE] ?? '', JSON.stringify(result));
    process.exit(0);
  } catch (error) {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  }
}

/**
 * Starts `node --import tsx <file>` and resolves with the JSON it hands
 * back. Output goes to `<workDir>/<name>.log`, quoted when the child fails.
 */
export async function runInChild<T>(
  file: string,
  workDir: string,
  env: Record<string, string>,
): Promise<T> {
  const path = fileURLToPath(file);
  const name = path.split('/').at(-1)?.replace(/\.ts$/, '') ?? 'child';
  const resultFile = join(workDir, `${name}.json`);
  const logFile = join(workDir, `${name}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, ['--import', 'tsx', path], {
    env: {
      ...process.env,
      ...env,
      BENCH_CHILD: path,
      [RESULT_FILE]: resultFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const code = await new Promise<number | null>((resolve) =>
    child.once('exit', (exitCode) => resolve(exitCode)),
  );
  await new Promise((resolve) => log.end(resolve));
  if (code !== 0) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    throw new Error(
      `${name} failed (exit ${code}); last lines of ${logFile}:\n` +
        text.split('\n').slice(-25).join('\n'),
    );
  }
  return JSON.parse(await readFile(resultFile, 'utf8')) as T;
}
