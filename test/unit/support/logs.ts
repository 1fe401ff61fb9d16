import { vi } from 'vitest';

/**
 * Captures what the Powertools logger writes, one JSON object a line: INFO
 * goes to stdout, WARN and ERROR to stderr. Call `restore()` after the act.
 */
export function captureLogs() {
  const chunks: string[] = [];
  const record = (chunk: string | Uint8Array) => {
    chunks.push(
      typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(),
    );
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(record),
    vi.spyOn(process.stderr, 'write').mockImplementation(record),
  ];
  return {
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== ''),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
