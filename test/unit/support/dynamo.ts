import {
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';

type TransactItem = NonNullable<
  TransactWriteCommandInput['TransactItems']
>[number];

// biome-ignore lint/suspicious/noExplicitAny: any client mock will do
type AnyStub = AwsStub<any, any, any>;

/** The items of every TransactWrite the mock received, in order. */
export function transactions(ddb: AnyStub): TransactItem[][] {
  return ddb
    .commandCalls(TransactWriteCommand)
    .map((call) => call.args[0].input.TransactItems ?? []);
}

/** The one transaction the mock received; fails the test otherwise. */
export function onlyTransaction(ddb: AnyStub): TransactItem[] {
  const all = transactions(ddb);
  if (all.length !== 1) {
    throw new Error(`expected one TransactWrite, got ${all.length}`);
  }
  return all[0] ?? [];
}

/** The fields a transaction's request Update sets, by name. */
export function updatedFields(items: TransactItem[]): Record<string, unknown> {
  const update = items.find((item) => item.Update)?.Update;
  if (!update) throw new Error('no Update in the transaction');
  const names = update.ExpressionAttributeNames ?? {};
  const values = update.ExpressionAttributeValues ?? {};
  const set = /^SET (.*?)(?: REMOVE .*)?$/.exec(
    update.UpdateExpression ?? '',
  )?.[1];
  const fields: Record<string, unknown> = {};
  for (const assignment of (set ?? '').split(', ')) {
    const [name = '', value = ''] = assignment.split(' = ');
    fields[names[name] ?? name] = values[value];
  }
  return fields;
}

/** The audit events a transaction puts, with their conditions. */
export function auditPuts(items: TransactItem[], table = 'audit-test') {
  return items
    .filter((item) => item.Put?.TableName === table)
    .map((item) => ({
      event: item.Put?.Item as Record<string, unknown>,
      condition: item.Put?.ConditionExpression,
    }));
}

/** The lock Delete of a transaction, if any. */
export function lockDelete(items: TransactItem[]) {
  return items.find((item) => item.Delete)?.Delete;
}
