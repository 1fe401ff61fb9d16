import {
  type EksErrorName,
  invalidParameter,
  isEksErrorName,
} from './errors.ts';
import type { Body } from './input.ts';
import { isOperation, OPERATIONS, type Operation } from './routes.ts';

/** A pending injected fault: the next `times` calls of `operation` fail. */
export type Fault = {
  operation: Operation;
  error: EksErrorName;
  times: number;
  message?: string;
};

/**
 * Injected faults, queued per operation in the order they were added, so a
 * test can script "throttled twice, then a server error".
 */
export class FaultQueue {
  #faults: Fault[] = [];

  /** Validates and queues a fault as `POST /_emulator/faults` sends it. */
  add(body: Body): Fault {
    const fault = parseFault(body);
    this.#faults.push(fault);
    return { ...fault };
  }

  /** Consumes one call's worth of the first fault for `operation`. */
  take(operation: Operation): Fault | undefined {
    const index = this.#faults.findIndex((f) => f.operation === operation);
    const fault = this.#faults[index];
    if (!fault) return undefined;
    fault.times -= 1;
    if (fault.times === 0) this.#faults.splice(index, 1);
    return fault;
  }

  /** Pending faults with the calls each has left. */
  list(): Fault[] {
    return this.#faults.map((fault) => ({ ...fault }));
  }

  /** Drops every pending fault; returns how many there were. */
  clear(): number {
    const count = this.#faults.length;
    this.#faults = [];
    return count;
  }
}

function parseFault(body: Body): Fault {
  const { operation, error, times = 1, message } = body;
  if (typeof operation !== 'string' || !isOperation(operation))
    throw invalidParameter(
      `The operation parameter must be one of [${OPERATIONS.join(', ')}].`,
    );
  if (typeof error !== 'string' || !isEksErrorName(error))
    throw invalidParameter(
      'The error parameter must name an EKS exception, such as ' +
        'ServerException or ThrottlingException.',
    );
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1)
    throw invalidParameter('The times parameter must be a positive integer.');
  if (message !== undefined && typeof message !== 'string')
    throw invalidParameter('The message parameter must be a string.');
  return message === undefined
    ? { operation, error, times }
    : { operation, error, times, message };
}
