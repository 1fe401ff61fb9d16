/**
 * Runs the EKS emulator on its own:
 * `tsx local/eks-emulator/main.ts --port 4566 --seed local/seed.json`.
 * With `--state-file <path>` the state survives a restart; the seed is
 * used only while that file does not exist.
 */
import { parseArgs } from 'node:util';
import { defaultSeedPath, loadSeed } from '../seed.ts';
import { createEksEmulator } from './server.ts';

const USAGE =
  'usage: tsx local/eks-emulator/main.ts [--port 4566] [--host 127.0.0.1] ' +
  '[--seed local/seed.json] [--latency-ms 0] [--state-file <path>]';

type Flags = {
  port: number;
  host: string;
  seed: string | URL;
  latencyMs: number;
  stateFile?: string;
};

function parseFlags(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string', default: '4566' },
      host: { type: 'string', default: '127.0.0.1' },
      seed: { type: 'string' },
      'latency-ms': { type: 'string', default: '0' },
      'state-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    port: integerFlag('--port', values.port, 0, 65_535),
    host: values.host,
    seed: values.seed ?? defaultSeedPath,
    latencyMs: integerFlag('--latency-ms', values['latency-ms'], 0, 600_000),
    ...(values['state-file'] === undefined
      ? {}
      : { stateFile: nonEmptyFlag('--state-file', values['state-file']) }),
  };
}

function integerFlag(name: string, raw: string, min: number, max: number) {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max)
    throw new Error(
      `${name} must be an integer from ${min} to ${max}, got "${raw}"`,
    );
  return value;
}

function nonEmptyFlag(name: string, raw: string): string {
  if (raw.trim() === '') throw new Error(`${name} must name a file`);
  return raw;
}

async function main(): Promise<void> {
  let flags: Flags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (error) {
    console.error(`eks-emulator: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }

  const seed = await loadSeed(flags.seed);
  const emulator = createEksEmulator({
    seed,
    latencyMs: flags.latencyMs,
    ...(flags.stateFile === undefined ? {} : { stateFile: flags.stateFile }),
  });
  const url = await emulator.listen(flags.port, flags.host);
  console.log(`eks-emulator listening on ${url}`);
  if (flags.stateFile !== undefined)
    console.log(`eks-emulator: state kept in ${flags.stateFile}`);

  const stop = (signal: NodeJS.Signals) => {
    console.log(`eks-emulator: ${signal}, stopping`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('eks-emulator: close failed:', error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`eks-emulator: ${(error as Error).message ?? error}`);
  process.exit(1);
});
