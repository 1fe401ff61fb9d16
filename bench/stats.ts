/**
 * Small helpers shared by the benchmarks: order statistics, the machine
 * line, and a closed-loop load driver.
 */
import { cpus, loadavg } from 'node:os';

/** The value at quantile `q` (0..1) of `values`, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? Number.NaN;
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

/** Rounds for JSON: results are read by people, not replayed. */
export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** "cpu model, cores, node version", as the issue asks. */
export function machineLine(): string {
  const cores = cpus();
  return `${cores[0]?.model.trim() ?? 'unknown cpu'}, ${cores.length} cores, node ${process.version}`;
}

/** The 1-minute load average: other work on the machine skews timings. */
export function loadAverage(): number {
  return round(loadavg()[0] ?? 0, 2);
}

/**
 * Runs `total` calls of `call(i)` with at most `concurrency` in flight
 * (a closed loop: a worker starts its next call when its last one ends).
 * Returns each call's latency in ms and the wall time.
 */
export async function closedLoop(
  total: number,
  concurrency: number,
  call: (index: number) => Promise<void>,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= total) return;
      const t0 = performance.now();
      await call(index);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, wallMs: performance.now() - started };
}
