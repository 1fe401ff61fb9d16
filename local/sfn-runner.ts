import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import './node20.ts';
import { StateMachine } from 'aws-local-stepfunctions';

/** An in-process Lambda handler bound to a function name. */
export type LocalFunction = (payload: unknown) => Promise<unknown>;

export interface RunnerOptions {
  definitionPath: string;
  /** DefinitionSubstitutions, as SAM would pass them. */
  substitutions: Record<string, string>;
  /** Function ARN (after substitution) to in-process handler. */
  functions: Record<string, LocalFunction>;
  stateMachineArn: string;
  /** Multiplies every Wait state's duration and retry interval. */
  waitScale: number;
}

type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface Execution {
  executionArn: string;
  name: string;
  input: string;
  status: Status;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  abort: () => void;
  /** States entered: Step Functions bills a transition per state. */
  transitions: number;
  done: Promise<void>;
}

interface PendingTask {
  executionArn: string;
  stateName: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  open: boolean;
}

interface StateDefinition {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
}

/** Reads a simple reference path (`$.a.b`) from a JSON object. */
function readPath(input: unknown, path: string): unknown {
  let value = input;
  for (const key of path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)) {
    value = (value as Record<string, unknown> | undefined)?.[key];
  }
  return value;
}

/** An error a Step Functions API call answers with. */
class SfnApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Rethrows a handler's error the way Lambda reports it to Step Functions. */
function asLambdaError(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const wrapped = new Error(
    JSON.stringify({ errorType: name, errorMessage: message }),
  );
  wrapped.name = name;
  return wrapped;
}

/**
 * Runs the project's state machine definition with aws-local-stepfunctions
 * and answers the Step Functions API calls our functions make
 * (StartExecution, SendTaskSuccess, SendTaskFailure, StopExecution,
 * DescribeExecution) over HTTP, so the real `@aws-sdk/client-sfn` talks to
 * it through `endpoint`. The library fills neither `$$.Task.Token` nor
 * `$$.Execution`: each run gets its own Context object.
 */
export class LocalStepFunctions {
  readonly executions = new Map<string, Execution>();
  private readonly tasks = new Map<string, PendingTask>();
  private readonly machines = new Map<string, StateMachine>();
  private readonly definition: {
    States: Record<string, StateDefinition>;
  };
  private server: Server | undefined;

  constructor(private readonly options: RunnerOptions) {
    let text = readFileSync(options.definitionPath, 'utf8');
    for (const [key, value] of Object.entries(options.substitutions)) {
      text = text.replaceAll(`\${${key}}`, value);
    }
    this.definition = JSON.parse(text);
    this.machineFor({});
  }

  /**
   * aws-local-stepfunctions reads a Task's `TimeoutSecondsPath` from the
   * task's effective parameters, where Step Functions reads it from the
   * state's input. Our paths point into the execution input, which reaches
   * those states unchanged, so each execution gets a definition with the
   * timeouts resolved from its input.
   */
  private machineFor(input: Record<string, unknown>): StateMachine {
    const definition = structuredClone(this.definition);
    for (const state of Object.values(definition.States)) {
      if (state.TimeoutSecondsPath === undefined) continue;
      const value = readPath(input, state.TimeoutSecondsPath);
      delete state.TimeoutSecondsPath;
      if (typeof value === 'number') state.TimeoutSeconds = value;
    }
    const key = JSON.stringify(definition);
    let machine = this.machines.get(key);
    if (!machine) {
      machine = new StateMachine(definition as never, {
        validationOptions: { checkArn: true, checkPaths: true },
      });
      this.machines.set(key, machine);
    }
    return machine;
  }

  /** Starts an execution; the same name and input is answered as before. */
  startExecution(name: string, input: string): Execution {
    const executionArn = `${this.options.stateMachineArn.replace(
      ':stateMachine:',
      ':execution:',
    )}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.input === input) return existing;
      throw new SfnApiError(
        'ExecutionAlreadyExists',
        `Execution Already Exists: '${executionArn}'`,
      );
    }
    const parsed = JSON.parse(input) as Record<string, unknown>;
    const token = randomBytes(96).toString('base64url');
    const startDate = new Date();
    const run = this.machineFor(parsed).run(parsed as never, {
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers(
          executionArn,
          token,
        ) as never,
        waitTimeOverrides: this.waitOverrides(parsed),
        retryIntervalOverrides: this.retryOverrides(),
      },
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          Input: parsed,
          StartTime: startDate.toISOString(),
          RoleArn: 'arn:aws:iam::111122223333:role/local-state-machine',
        },
        StateMachine: {
          Id: this.options.stateMachineArn,
          Name: this.options.stateMachineArn.split(':').at(-1),
        },
        Task: { Token: token },
      } as never,
    });
    const execution: Execution = {
      executionArn,
      name,
      input,
      status: 'RUNNING',
      startDate,
      abort: run.abort,
      transitions: 0,
      done: Promise.resolve(),
    };
    execution.done = this.follow(execution, run);
    this.executions.set(executionArn, execution);
    return execution;
  }

  private async follow(
    execution: Execution,
    run: ReturnType<StateMachine['run']>,
  ): Promise<void> {
    const counting = (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered') execution.transitions += 1;
        if (event.type === 'StateFailed' || event.type === 'StateExited') {
          this.closeTasks(execution.executionArn, event.state.name);
        }
      }
    })().catch(() => undefined);
    try {
      const output = await run.result;
      execution.status = 'SUCCEEDED';
      execution.output = JSON.stringify(output);
    } catch (error) {
      const failure = error as Error & { cause?: { name?: string } };
      if (failure.name === 'ExecutionAbortedError') {
        execution.status = 'ABORTED';
      } else {
        execution.status = 'FAILED';
        execution.error = failure.cause?.name ?? failure.name;
        execution.cause = failure.message;
      }
    } finally {
      execution.stopDate = new Date();
      this.closeTasks(execution.executionArn);
    }
    await counting;
  }

  /** A task token closes when its state ends, however it ends. */
  private closeTasks(executionArn: string, stateName?: string) {
    for (const task of this.tasks.values()) {
      if (
        task.executionArn === executionArn &&
        (stateName === undefined || task.stateName === stateName)
      ) {
        task.open = false;
      }
    }
  }

  private taskHandlers(executionArn: string, token: string) {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, state] of Object.entries(this.definition.States)) {
      if (state.Type !== 'Task') continue;
      const waits = state.Resource?.endsWith('.waitForTaskToken') ?? false;
      handlers[stateName] = async (input) => {
        const { FunctionName, Payload } = input as {
          FunctionName: string;
          Payload: unknown;
        };
        const fn = this.options.functions[FunctionName];
        if (!fn) throw new Error(`No local function for ${FunctionName}`);
        if (!waits) {
          try {
            return { StatusCode: 200, Payload: await fn(Payload) };
          } catch (error) {
            throw asLambdaError(error);
          }
        }
        const completion = new Promise((resolve, reject) => {
          this.tasks.set(token, {
            executionArn,
            stateName,
            resolve,
            reject,
            open: true,
          });
        });
        try {
          await fn(Payload);
        } catch (error) {
          this.tasks.delete(token);
          throw asLambdaError(error);
        }
        return completion;
      };
    }
    return handlers;
  }

  private waitOverrides(input: Record<string, unknown>) {
    const overrides: Record<string, number> = {};
    if (this.options.waitScale === 1) return overrides;
    // Locally a Wait lasts its real duration times the scale; the
    // duration of the revert wait is the request's own.
    const minutes = Number(input.durationMinutes ?? 0);
    for (const [name, state] of Object.entries(this.definition.States)) {
      if (state.Type === 'Wait') {
        overrides[name] = Math.round(minutes * 60_000 * this.options.waitScale);
      }
    }
    return overrides;
  }

  private retryOverrides() {
    const overrides: Record<string, number[]> = {};
    if (this.options.waitScale === 1) return overrides;
    const scaled = [1_000, 2_000, 4_000, 8_000, 16_000].map((ms) =>
      Math.max(1, Math.round(ms * this.options.waitScale)),
    );
    for (const [name, state] of Object.entries(this.definition.States)) {
      if (state.Type === 'Task') overrides[name] = scaled;
    }
    return overrides;
  }

  private task(token: string): PendingTask {
    const task = this.tasks.get(token);
    if (!task) throw new SfnApiError('TaskDoesNotExist', 'Task Does Not Exist');
    if (!task.open) throw new SfnApiError('TaskTimedOut', 'Task Timed Out');
    return task;
  }

  sendTaskSuccess(token: string, output: string) {
    const task = this.task(token);
    task.open = false;
    task.resolve(JSON.parse(output));
  }

  sendTaskFailure(token: string, error?: string, cause?: string) {
    const task = this.task(token);
    task.open = false;
    const failure = new Error(cause ?? '');
    failure.name = error ?? 'States.TaskFailed';
    task.reject(failure);
  }

  stopExecution(executionArn: string) {
    const execution = this.executions.get(executionArn);
    if (!execution) {
      throw new SfnApiError(
        'ExecutionDoesNotExist',
        `Execution Does Not Exist: '${executionArn}'`,
      );
    }
    if (execution.status === 'RUNNING') execution.abort();
    this.closeTasks(executionArn);
    return { stopDate: Date.now() / 1000 };
  }

  describeExecution(executionArn: string) {
    const execution = this.executions.get(executionArn);
    if (!execution) {
      throw new SfnApiError(
        'ExecutionDoesNotExist',
        `Execution Does Not Exist: '${executionArn}'`,
      );
    }
    return {
      executionArn,
      stateMachineArn: this.options.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime() / 1000,
      ...(execution.stopDate
        ? { stopDate: execution.stopDate.getTime() / 1000 }
        : {}),
      input: execution.input,
      ...(execution.output ? { output: execution.output } : {}),
      ...(execution.error ? { error: execution.error } : {}),
      ...(execution.cause ? { cause: execution.cause } : {}),
    };
  }

  /** Waits until every execution has ended (or been stopped). */
  async drain(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  /** Aborts every running execution. */
  stopAll() {
    for (const execution of this.executions.values()) {
      if (execution.status === 'RUNNING') execution.abort();
    }
  }

  private async call(target: string, body: Record<string, string>) {
    switch (target) {
      case 'StartExecution': {
        const execution = this.startExecution(
          body.name ?? randomUUID(),
          body.input ?? '{}',
        );
        return {
          executionArn: execution.executionArn,
          startDate: execution.startDate.getTime() / 1000,
        };
      }
      case 'SendTaskSuccess':
        this.sendTaskSuccess(body.taskToken ?? '', body.output ?? '{}');
        return {};
      case 'SendTaskFailure':
        this.sendTaskFailure(body.taskToken ?? '', body.error, body.cause);
        return {};
      case 'StopExecution':
        return this.stopExecution(body.executionArn ?? '');
      case 'DescribeExecution':
        return this.describeExecution(body.executionArn ?? '');
      default:
        throw new SfnApiError('UnknownOperationException', target);
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '').split('.')[1];
    let status = 200;
    let answer: unknown;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      answer = await this.call(target ?? '', body);
    } catch (error) {
      const apiError =
        error instanceof SfnApiError
          ? error
          : new SfnApiError('InvalidInput', (error as Error).message);
      status = apiError.status;
      answer = { __type: apiError.type, message: apiError.message };
    }
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify(answer));
  }

  /** Serves the Step Functions API on 127.0.0.1; returns its URL. */
  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => void this.serve(req, res));
    this.server = server;
    await new Promise<void>((resolve) =>
      server.listen(port, '127.0.0.1', resolve),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.stopAll();
    const server = this.server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
