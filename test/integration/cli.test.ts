import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import type { LocalStack } from '../../local/stack.ts';
import {
  api,
  newPrincipal,
  startTestStack,
  waitForApprovalMessage,
} from '../support/stack.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

/** Runs the CLI in-process against the test stack; returns code and output. */
async function cli(...args: string[]) {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line) => {
    lines.push(String(line));
  });
  const error = vi.spyOn(console, 'error').mockImplementation((line) => {
    lines.push(String(line));
  });
  try {
    const code = await main([...args, '--api', stack.url]);
    return { code, output: lines.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('CLI: eks-access-gate', () => {
  it('submits, is refused for self-approval, and approves as bob', async () => {
    const principal = await newPrincipal(stack);

    const submitted = await cli(
      'submit',
      '--as',
      'alice@example.com',
      '--cluster',
      'demo',
      '--principal',
      principal,
      '--group',
      'viewers',
      '--group',
      'deployers',
      '--reason',
      'OPS-1 from the CLI',
    );
    const requestId = JSON.parse(submitted.output).requestId as string;
    await waitForApprovalMessage(stack, requestId);
    const self = await cli('approve', requestId, '--as', 'alice@example.com');
    const bob = await cli(
      'approve',
      requestId,
      '--as',
      'bob@example.com',
      '--wait',
    );

    expect(submitted.code).toBe(0);
    expect(self.code).toBe(1);
    expect(self.output).toContain('may not decide');
    expect(bob.code).toBe(0);
    const { body } = await api(stack, 'GET', `/requests/${requestId}`, {
      as: 'auditor@example.com',
    });
    expect(body.status).toBe('SUCCEEDED');
  });

  it('exits 2 with the usage on an unknown command', async () => {
    const result = await cli('frobnicate');

    expect(result.code).toBe(2);
    expect(result.output).toContain('Usage: eks-access-gate');
  });
});
