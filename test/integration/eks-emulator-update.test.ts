import {
  DescribeAccessEntryCommand,
  UpdateAccessEntryCommand,
  type UpdateAccessEntryCommandInput,
} from '@aws-sdk/client-eks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  at,
  DEMO_NODES,
  DEVELOPERS,
  failure,
  type Harness,
  startHarness,
  T0,
} from './eks-emulator-harness.ts';

const DEFAULT_USERNAME = `arn:aws:sts::${ACCOUNT}:assumed-role/developers/{{SessionName}}`;

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.emulator.close();
});

beforeEach(() => {
  h.reset();
});

const update = (
  input: Omit<UpdateAccessEntryCommandInput, 'clusterName' | 'principalArn'>,
  principalArn = DEVELOPERS,
  clusterName = 'demo',
) =>
  h.eks.send(
    new UpdateAccessEntryCommand({ clusterName, principalArn, ...input }),
  );

const current = async (principalArn = DEVELOPERS) =>
  (
    await h.eks.send(
      new DescribeAccessEntryCommand({ clusterName: 'demo', principalArn }),
    )
  ).accessEntry;

describe('UpdateAccessEntry', () => {
  it('replaces the groups, keeps the username and createdAt, sets modifiedAt', async () => {
    h.advance(5_000);

    const { accessEntry } = await update({
      kubernetesGroups: ['viewers', 'deployers'],
    });

    expect(accessEntry).toMatchObject({
      kubernetesGroups: ['viewers', 'deployers'],
      username: DEFAULT_USERNAME,
      createdAt: at(T0),
      modifiedAt: at(T0 + 5_000),
    });
    expect(await current()).toEqual(accessEntry);
  });

  it('replaces only the username when no groups are given', async () => {
    const { accessEntry } = await update({
      username: 'developers:{{SessionName}}',
    });

    expect(accessEntry).toMatchObject({
      kubernetesGroups: ['viewers'],
      username: 'developers:{{SessionName}}',
    });
  });

  it('replaces groups and username in one call', async () => {
    const { accessEntry } = await update({
      kubernetesGroups: ['deployers'],
      username: 'dev:{{SessionNameRaw}}',
    });

    expect(accessEntry).toMatchObject({
      kubernetesGroups: ['deployers'],
      username: 'dev:{{SessionNameRaw}}',
    });
  });

  it('clears the groups when given an empty list', async () => {
    const { accessEntry } = await update({ kubernetesGroups: [] });

    expect(accessEntry?.kubernetesGroups).toEqual([]);
  });

  it('keeps the type even when the input smuggles a new one', async () => {
    const smuggled = { kubernetesGroups: ['deployers'], type: 'EC2_LINUX' };

    await update(smuggled as unknown as UpdateAccessEntryCommandInput);

    expect(await current()).toMatchObject({
      type: 'STANDARD',
      principalArn: DEVELOPERS,
      kubernetesGroups: ['deployers'],
    });
  });

  it('refuses a system: group with InvalidParameterException and changes nothing', async () => {
    const before = await current();
    h.advance(5_000);

    const error = await failure(
      update({ kubernetesGroups: ['viewers', 'system:masters'] }),
    );

    expect(error).toEqual({
      name: 'InvalidParameterException',
      status: 400,
      message:
        'The kubernetes group name system:masters is invalid, it cannot ' +
        'start with system:',
      clusterName: 'demo',
    });
    expect(await current()).toEqual(before);
  });

  it('refuses a reserved username and changes nothing, groups included', async () => {
    const before = await current();

    const error = await failure(
      update({ kubernetesGroups: ['deployers'], username: 'eks:admin' }),
    );

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      status: 400,
      message: 'The username eks:admin is invalid, it cannot start with eks:',
    });
    expect(await current()).toEqual(before);
  });

  it('refuses {{SessionName}} with no colon before it', async () => {
    const error = await failure(update({ username: '{{SessionName}}' }));

    expect(error.message).toBe(
      'The username {{SessionName}} is invalid, {{SessionName}} must have a ' +
        'colon somewhere before it',
    );
  });

  it('refuses groups on an EC2_LINUX entry and changes nothing', async () => {
    const before = await current(DEMO_NODES);

    const error = await failure(
      update({ kubernetesGroups: ['nodes'] }, DEMO_NODES),
    );

    expect(error).toEqual({
      name: 'InvalidParameterException',
      status: 400,
      message:
        'This operation can only be performed on Access Entries with a type ' +
        'of "STANDARD".',
      clusterName: 'demo',
    });
    expect(await current(DEMO_NODES)).toEqual(before);
  });

  it('refuses a username on an EC2_LINUX entry', async () => {
    const error = await failure(
      update({ username: 'nodes:{{SessionName}}' }, DEMO_NODES),
    );

    expect(error.name).toBe('InvalidParameterException');
    expect((await current(DEMO_NODES))?.username).toBe(
      'system:node:{{EC2PrivateDNSName}}',
    );
  });

  it('answers ResourceNotFoundException for a principal without an entry', async () => {
    const error = await failure(
      update(
        { kubernetesGroups: ['viewers'] },
        `arn:aws:iam::${ACCOUNT}:role/nobody`,
      ),
    );

    expect(error).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
      message:
        'The specified principalArn could not be found. You can view your ' +
        "available access entries with 'list-access-entries'.",
      clusterName: 'demo',
    });
  });

  it('refuses a CONFIG_MAP cluster with InvalidRequestException', async () => {
    const error = await failure(
      update({ kubernetesGroups: ['viewers'] }, DEVELOPERS, 'legacy'),
    );

    expect(error).toEqual({
      name: 'InvalidRequestException',
      status: 400,
      message:
        "The cluster's authentication mode must be set to one of " +
        '[API, API_AND_CONFIG_MAP] to perform this operation.',
      clusterName: 'legacy',
    });
  });

  it('refuses an STS assumed-role principal with InvalidParameterException', async () => {
    const error = await failure(
      update(
        { kubernetesGroups: ['viewers'] },
        `arn:aws:sts::${ACCOUNT}:assumed-role/developers/alice`,
      ),
    );

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      message: 'The principalArn parameter format is not valid',
    });
  });
});
