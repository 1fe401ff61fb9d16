import {
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  ListAccessEntriesCommand,
} from '@aws-sdk/client-eks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  ALICE,
  at,
  CI_DEPLOYER,
  DEMO_NODES,
  DEVELOPERS,
  failure,
  type Harness,
  startHarness,
  T0,
} from './eks-emulator-harness.ts';

const ENTRY_NOT_FOUND =
  'The specified principalArn could not be found. You can view your ' +
  "available access entries with 'list-access-entries'.";
const MODE_REFUSED =
  "The cluster's authentication mode must be set to one of " +
  '[API, API_AND_CONFIG_MAP] to perform this operation.';
const FORMAT_NOT_VALID = 'The principalArn parameter format is not valid';
const SERVICE_LINKED =
  'The caller is not allowed to modify access entries with a principalArn ' +
  'value of a Service Linked Role';
const STANDARD_ONLY =
  'This operation can only be performed on Access Entries with a type of ' +
  '"STANDARD".';

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

const describeEntry = (principalArn: string, clusterName = 'demo') =>
  h.eks.send(new DescribeAccessEntryCommand({ clusterName, principalArn }));

const create = (
  input: Omit<CreateAccessEntryCommand['input'], 'clusterName'>,
) =>
  h.eks.send(new CreateAccessEntryCommand({ clusterName: 'demo', ...input }));

describe('DescribeCluster', () => {
  it('describes a seeded cluster as ACTIVE with its mode, ARN and tags', async () => {
    const { cluster } = await h.eks.send(
      new DescribeClusterCommand({ name: 'demo' }),
    );

    expect(cluster).toMatchObject({
      name: 'demo',
      arn: `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/demo`,
      status: 'ACTIVE',
      createdAt: at(T0),
      tags: { environment: 'demo' },
      accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
    });
  });

  it('reports CONFIG_MAP for the legacy cluster', async () => {
    const { cluster } = await h.eks.send(
      new DescribeClusterCommand({ name: 'legacy' }),
    );

    expect(cluster?.accessConfig?.authenticationMode).toBe('CONFIG_MAP');
  });

  it('refuses an unknown cluster with ResourceNotFoundException', async () => {
    const error = await failure(
      h.eks.send(new DescribeClusterCommand({ name: 'nope' })),
    );

    expect(error).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
      message: 'No cluster found for name: nope.',
    });
  });
});

describe('DescribeAccessEntry', () => {
  it('returns a seeded role entry with the username EKS derives', async () => {
    const { accessEntry } = await describeEntry(DEVELOPERS);

    expect(accessEntry).toEqual({
      clusterName: 'demo',
      principalArn: DEVELOPERS,
      kubernetesGroups: ['viewers'],
      accessEntryArn: expect.stringMatching(
        new RegExp(
          `^arn:aws:eks:us-east-1:${ACCOUNT}:access-entry/demo/role/` +
            `${ACCOUNT}/developers/[0-9a-f-]{36}$`,
        ),
      ),
      createdAt: at(T0),
      modifiedAt: at(T0),
      tags: {},
      username: `arn:aws:sts::${ACCOUNT}:assumed-role/developers/{{SessionName}}`,
      type: 'STANDARD',
    });
  });

  it('uses the user ARN as the default username of an IAM user', async () => {
    const { accessEntry } = await describeEntry(ALICE);

    expect(accessEntry?.username).toBe(ALICE);
    expect(accessEntry?.accessEntryArn).toMatch(
      /:access-entry\/demo\/user\/111122223333\/alice\/[0-9a-f-]{36}$/,
    );
  });

  it('uses system:node:{{EC2PrivateDNSName}} for an EC2_LINUX entry', async () => {
    const { accessEntry } = await describeEntry(DEMO_NODES);

    expect(accessEntry).toMatchObject({
      type: 'EC2_LINUX',
      username: 'system:node:{{EC2PrivateDNSName}}',
      kubernetesGroups: [],
    });
  });

  it('answers ResourceNotFoundException for a principal without an entry', async () => {
    const error = await failure(
      describeEntry(`arn:aws:iam::${ACCOUNT}:role/nobody`),
    );

    expect(error).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
      message: ENTRY_NOT_FOUND,
      clusterName: 'demo',
    });
  });

  it('answers ResourceNotFoundException for an unknown cluster', async () => {
    const error = await failure(describeEntry(DEVELOPERS, 'nope'));

    expect(error).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
      message: 'No cluster found for name: nope.',
    });
  });

  it('refuses a CONFIG_MAP cluster with InvalidRequestException', async () => {
    const error = await failure(describeEntry(DEVELOPERS, 'legacy'));

    expect(error).toEqual({
      name: 'InvalidRequestException',
      status: 400,
      message: MODE_REFUSED,
      clusterName: 'legacy',
    });
  });
});

describe('CreateAccessEntry', () => {
  const BUILDER = `arn:aws:iam::${ACCOUNT}:role/builder`;

  it('creates a STANDARD entry with the default username and its tags', async () => {
    h.advance(60_000);

    const { accessEntry } = await create({
      principalArn: BUILDER,
      kubernetesGroups: ['builders'],
      tags: { team: 'platform' },
    });

    const expected = {
      clusterName: 'demo',
      principalArn: BUILDER,
      kubernetesGroups: ['builders'],
      accessEntryArn: expect.stringContaining(
        ':access-entry/demo/role/111122223333/builder/',
      ),
      createdAt: at(T0 + 60_000),
      modifiedAt: at(T0 + 60_000),
      tags: { team: 'platform' },
      username: `arn:aws:sts::${ACCOUNT}:assumed-role/builder/{{SessionName}}`,
      type: 'STANDARD',
    };
    expect(accessEntry).toEqual(expected);
    expect((await describeEntry(BUILDER)).accessEntry).toEqual(expected);
  });

  it('keeps the username given instead of the default', async () => {
    const { accessEntry } = await create({
      principalArn: BUILDER,
      username: 'builder:{{SessionName}}',
    });

    expect(accessEntry?.username).toBe('builder:{{SessionName}}');
  });

  it('accepts a role with a path and drops the path from the username', async () => {
    const pathed = `arn:aws:iam::${ACCOUNT}:role/platform/team/deployer`;

    const { accessEntry } = await create({ principalArn: pathed });

    expect(accessEntry?.username).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/{{SessionName}}`,
    );
  });

  it.each([
    ['aws-cn', 'arn:aws-cn:iam::111122223333:role/cn-builder'],
    ['aws-us-gov', 'arn:aws-us-gov:iam::111122223333:user/gov-user'],
  ])('accepts a principal of the %s partition', async (_partition, arn) => {
    const { accessEntry } = await create({ principalArn: arn });

    expect(accessEntry?.principalArn).toBe(arn);
  });

  it('refuses a second entry for the same principal with ResourceInUseException', async () => {
    const error = await failure(
      create({ principalArn: DEVELOPERS, kubernetesGroups: ['other'] }),
    );

    expect(error).toEqual({
      name: 'ResourceInUseException',
      status: 409,
      message:
        'The specified access entry resource is already in use on this ' +
        'cluster.',
      clusterName: 'demo',
    });
    const { accessEntry } = await describeEntry(DEVELOPERS);
    expect(accessEntry?.kubernetesGroups).toEqual(['viewers']);
  });

  it.each([
    [
      'an STS assumed-role ARN',
      `arn:aws:sts::${ACCOUNT}:assumed-role/developers/alice`,
      FORMAT_NOT_VALID,
    ],
    [
      'a service-linked role',
      `arn:aws:iam::${ACCOUNT}:role/aws-service-role/eks.amazonaws.com/` +
        'AWSServiceRoleForAmazonEKS',
      SERVICE_LINKED,
    ],
    ['a malformed ARN', 'developers', FORMAT_NOT_VALID],
    [
      'an IAM group ARN',
      `arn:aws:iam::${ACCOUNT}:group/admins`,
      FORMAT_NOT_VALID,
    ],
  ])(
    'refuses %s with InvalidParameterException',
    async (_what, arn, message) => {
      const error = await failure(create({ principalArn: arn }));

      expect(error).toEqual({
        name: 'InvalidParameterException',
        status: 400,
        message,
        clusterName: 'demo',
      });
      const { accessEntries } = await h.eks.send(
        new ListAccessEntriesCommand({ clusterName: 'demo' }),
      );
      expect(accessEntries).not.toContain(arn);
    },
  );

  it('refuses a system: group with InvalidParameterException', async () => {
    const error = await failure(
      create({
        principalArn: BUILDER,
        kubernetesGroups: ['ok', 'system:masters'],
      }),
    );

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      status: 400,
      message:
        'The kubernetes group name system:masters is invalid, it cannot ' +
        'start with system:',
    });
    await expect(failure(describeEntry(BUILDER))).resolves.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it.each(['system:', 'eks:', 'aws:', 'amazon:', 'iam:'])(
    'refuses a username starting with %s',
    async (prefix) => {
      const error = await failure(
        create({ principalArn: BUILDER, username: `${prefix}builder` }),
      );

      expect(error).toMatchObject({
        name: 'InvalidParameterException',
        status: 400,
        message:
          `The username ${prefix}builder is invalid, it cannot start with ` +
          prefix,
      });
    },
  );

  it('refuses {{SessionName}} with no colon before it', async () => {
    const error = await failure(
      create({ principalArn: BUILDER, username: 'dev{{SessionName}}' }),
    );

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      status: 400,
      message:
        'The username dev{{SessionName}} is invalid, {{SessionName}} must ' +
        'have a colon somewhere before it',
    });
  });

  it('refuses kubernetesGroups on an EC2_LINUX entry', async () => {
    const error = await failure(
      create({
        principalArn: `arn:aws:iam::${ACCOUNT}:role/more-nodes`,
        type: 'EC2_LINUX',
        kubernetesGroups: ['nodes'],
      }),
    );

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      status: 400,
      message: STANDARD_ONLY,
    });
  });

  it('refuses a username on a FARGATE_LINUX entry', async () => {
    const error = await failure(
      create({
        principalArn: `arn:aws:iam::${ACCOUNT}:role/pods`,
        type: 'FARGATE_LINUX',
        username: 'pods:{{SessionName}}',
      }),
    );

    expect(error.message).toBe(STANDARD_ONLY);
  });

  it.each([
    ['EC2_WINDOWS', 'system:node:{{EC2PrivateDNSName}}'],
    ['FARGATE_LINUX', 'system:node:{{SessionName}}'],
    ['HYBRID_LINUX', 'system:node:{{SessionName}}'],
  ] as const)('gives a %s entry the username %s', async (type, username) => {
    const principalArn = `arn:aws:iam::${ACCOUNT}:role/${type.toLowerCase()}`;

    const { accessEntry } = await create({ principalArn, type });

    expect(accessEntry).toMatchObject({ type, username, kubernetesGroups: [] });
  });

  it('refuses an IAM user for a node entry type', async () => {
    const error = await failure(
      create({
        principalArn: `arn:aws:iam::${ACCOUNT}:user/bob`,
        type: 'EC2_LINUX',
      }),
    );

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      message:
        'The principalArn parameter must be an IAM role for Access Entries ' +
        'with a type of "EC2_LINUX".',
    });
  });

  it('refuses a type EKS does not know', async () => {
    const error = await failure(
      create({ principalArn: BUILDER, type: 'ADMIN' }),
    );

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      status: 400,
      message:
        'The type ADMIN is invalid, it must be one of [STANDARD, EC2_LINUX, ' +
        'EC2_WINDOWS, FARGATE_LINUX, HYBRID_LINUX, EC2, HYPERPOD_LINUX]',
    });
  });

  it('refuses to create on a CONFIG_MAP cluster', async () => {
    const error = await failure(
      h.eks.send(
        new CreateAccessEntryCommand({
          clusterName: 'legacy',
          principalArn: BUILDER,
        }),
      ),
    );

    expect(error).toEqual({
      name: 'InvalidRequestException',
      status: 400,
      message: MODE_REFUSED,
      clusterName: 'legacy',
    });
  });
});

describe('DeleteAccessEntry', () => {
  it('deletes the entry so that describing it is ResourceNotFoundException', async () => {
    const output = await h.eks.send(
      new DeleteAccessEntryCommand({
        clusterName: 'demo',
        principalArn: CI_DEPLOYER,
      }),
    );

    expect(output.$metadata.httpStatusCode).toBe(200);
    await expect(failure(describeEntry(CI_DEPLOYER))).resolves.toMatchObject({
      name: 'ResourceNotFoundException',
      message: ENTRY_NOT_FOUND,
    });
  });

  it('gives a re-created entry a new accessEntryArn', async () => {
    const before = (await describeEntry(CI_DEPLOYER)).accessEntry;
    await h.eks.send(
      new DeleteAccessEntryCommand({
        clusterName: 'demo',
        principalArn: CI_DEPLOYER,
      }),
    );

    const { accessEntry } = await create({ principalArn: CI_DEPLOYER });

    expect(accessEntry?.accessEntryArn).not.toBe(before?.accessEntryArn);
    expect(accessEntry?.kubernetesGroups).toEqual([]);
  });

  it('answers ResourceNotFoundException for a missing entry', async () => {
    const error = await failure(
      h.eks.send(
        new DeleteAccessEntryCommand({
          clusterName: 'demo',
          principalArn: `arn:aws:iam::${ACCOUNT}:role/nobody`,
        }),
      ),
    );

    expect(error).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
      message: ENTRY_NOT_FOUND,
      clusterName: 'demo',
    });
  });

  it('refuses to delete a service-linked role principal', async () => {
    const error = await failure(
      h.eks.send(
        new DeleteAccessEntryCommand({
          clusterName: 'demo',
          principalArn:
            `arn:aws:iam::${ACCOUNT}:role/aws-service-role/` +
            'x.amazonaws.com/Slr',
        }),
      ),
    );

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      message: SERVICE_LINKED,
    });
  });
});
