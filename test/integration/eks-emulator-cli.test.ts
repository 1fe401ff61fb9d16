import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { afterEach, describe, expect, it } from 'vitest';
import { eksClient } from './eks-emulator-harness.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = 'local/eks-emulator/main.ts';

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null) child.kill('SIGKILL');
});

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    url: async () => {
      for (let waited = 0; waited < 20_000; waited += 50) {
        const match = /listening on (http:\/\/\S+)/.exec(stdout);
        if (match) return match[1] as string;
        if (child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no URL printed; stderr: ${stderr}`);
    },
  };
}

describe('main.ts', () => {
  it('serves the seed on the printed URL and stops cleanly on SIGTERM', async () => {
    const cli = run(['--port', '0', '--seed', 'local/seed.json']);
    const url = await cli.url();

    const { cluster } = await eksClient(url, 1).send(
      new DescribeClusterCommand({ name: 'legacy' }),
    );
    cli.child.kill('SIGTERM');

    expect(cluster?.accessConfig?.authenticationMode).toBe('CONFIG_MAP');
    expect(await cli.exited).toBe(0);
  });

  it('refuses an unknown flag with exit code 2 and the usage', async () => {
    const cli = run(['--prot', '4566']);

    expect(await cli.exited).toBe(2);
    expect(cli.output().stderr).toContain("Unknown option '--prot'");
    expect(cli.output().stderr).toContain(
      'usage: tsx local/eks-emulator/main.ts',
    );
  });

  it('refuses a port that is not a number', async () => {
    const cli = run(['--port', 'eighty']);

    expect(await cli.exited).toBe(2);
    expect(cli.output().stderr).toContain(
      '--port must be an integer from 0 to 65535, got "eighty"',
    );
  });

  it('reports a seed file that does not exist with exit code 1', async () => {
    const cli = run(['--port', '0', '--seed', 'local/no-such-seed.json']);

    expect(await cli.exited).toBe(1);
    expect(cli.output().stderr).toContain('no-such-seed.json');
  });
});
