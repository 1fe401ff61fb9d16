import { vi } from 'vitest';

/**
 * Captures what is written to stdout (where the Powertools logger writes
 * its JSON lines) until `lines()` is read; call `restore()` after the act.
 */
export function captureStdout() {
  const chunks: string[] = [];
  const spy = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    });
  return {
    lines: () => chunks.join('').split('\n').filter((line) => line !== ''),
    restore: () => spy.mockRestore(),
  };
}
