import { EksError, invalidParameter } from './errors.ts';
import type { FaultQueue } from './faults.ts';
import type { Body } from './input.ts';
import type { EmulatorSnapshot } from './store.ts';

/** Path prefix of the emulator's own endpoints, which EKS does not have. */
export const CONTROL_PREFIX = '/_emulator/';

/** The parts of a running emulator its control endpoints act on. */
export type ControlTarget = {
  faults: FaultQueue;
  getLatency(): number;
  setLatency(ms: number): void;
  reset(): void;
  snapshot(): EmulatorSnapshot;
};

/**
 * Answers `/_emulator/*`: fault injection, latency, reset and a state dump.
 * Errors use EKS's shape too, so one client reads both.
 */
export function handleControl(
  target: ControlTarget,
  method: string,
  path: string,
  body: Body,
): unknown {
  const route = `${method} ${path.slice(CONTROL_PREFIX.length)}`;
  switch (route) {
    case 'POST faults':
      return { fault: target.faults.add(body) };
    case 'GET faults':
      return { faults: target.faults.list() };
    case 'DELETE faults':
      return { cleared: target.faults.clear() };
    case 'GET latency':
      return { ms: target.getLatency() };
    case 'POST latency':
      target.setLatency(readLatency(body));
      return { ms: target.getLatency() };
    case 'POST reset':
      target.reset();
      return {};
    case 'GET state':
      return target.snapshot();
    default:
      throw new EksError(
        'UnknownOperationException',
        `No emulator endpoint matches ${method} ${path}.`,
      );
  }
}

function readLatency(body: Body): number {
  const { ms } = body;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0)
    throw invalidParameter('The ms parameter must be a non-negative integer.');
  return ms;
}
