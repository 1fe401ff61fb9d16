import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { config, localClientOptions } from './config.ts';

let client: SFNClient | undefined;

function sfn(): SFNClient {
  client ??= new SFNClient(localClientOptions(config.sfnEndpoint()));
  return client;
}

/** Input of the access-change state machine. */
export interface WorkflowInput {
  requestId: string;
  autoApproved: boolean;
  /** The approval wait before a reminder, then the rest of the window. */
  reminderAfterSeconds: number;
  remainingSeconds: number;
  durationMinutes?: number;
}

/**
 * Splits the approval window in two halves: the reminder is posted when
 * the first runs out. Each half is at least a second, as Step Functions
 * requires of a timeout.
 */
export function approvalWindow(timeoutSeconds: number) {
  const total = Math.max(2, Math.floor(timeoutSeconds));
  const reminderAfterSeconds = Math.floor(total / 2);
  return {
    reminderAfterSeconds,
    remainingSeconds: total - reminderAfterSeconds,
  };
}

/** Starts the workflow; the request id is the execution name. */
export async function startWorkflow(input: WorkflowInput): Promise<string> {
  const { executionArn } = await sfn().send(
    new StartExecutionCommand({
      stateMachineArn: config.stateMachineArn(),
      name: input.requestId,
      input: JSON.stringify(input),
    }),
  );
  return executionArn ?? '';
}

export async function completeApproval(taskToken: string): Promise<void> {
  await sfn().send(
    new SendTaskSuccessCommand({
      taskToken,
      output: JSON.stringify({ approved: true }),
    }),
  );
}

export async function failApproval(
  taskToken: string,
  error: 'Rejected' | 'Cancelled',
  cause: string,
): Promise<void> {
  await sfn().send(new SendTaskFailureCommand({ taskToken, error, cause }));
}

/** The execution ARN Step Functions gives an execution named `name`. */
export function executionArnFor(name: string): string {
  const machine = config.stateMachineArn();
  return `${machine.replace(':stateMachine:', ':execution:')}:${name}`;
}

export async function stopWorkflow(requestId: string, cause: string) {
  await sfn().send(
    new StopExecutionCommand({
      executionArn: executionArnFor(requestId),
      error: 'Cancelled',
      cause,
    }),
  );
}
