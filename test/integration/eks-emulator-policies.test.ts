import {
  AssociateAccessPolicyCommand,
  type AssociateAccessPolicyCommandInput,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DisassociateAccessPolicyCommand,
  ListAccessPoliciesCommand,
  ListAssociatedAccessPoliciesCommand,
  paginateListAccessPolicies,
} from '@aws-sdk/client-eks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  AUTO_NODES,
  at,
  DEMO_NODES,
  DEVELOPERS,
  FARGATE_PODS,
  failure,
  type Harness,
  LAB,
  POLICY,
  startHarness,
  T0,
} from './eks-emulator-harness.ts';

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

const associate = (input: Partial<AssociateAccessPolicyCommandInput> = {}) =>
  h.eks.send(
    new AssociateAccessPolicyCommand({
      clusterName: 'demo',
      principalArn: DEVELOPERS,
      policyArn: POLICY('AmazonEKSViewPolicy'),
      accessScope: { type: 'cluster' },
      ...input,
    }),
  );

const associated = async (principalArn = DEVELOPERS, clusterName = 'demo') =>
  (
    await h.eks.send(
      new ListAssociatedAccessPoliciesCommand({ clusterName, principalArn }),
    )
  ).associatedAccessPolicies;

describe('ListAccessPolicies', () => {
  it('lists the AWS-managed cluster access policies by name and ARN', async () => {
    const { accessPolicies } = await h.eks.send(
      new ListAccessPoliciesCommand({}),
    );

    expect(accessPolicies).toEqual(
      expect.arrayContaining(
        [
          'AmazonEKSClusterAdminPolicy',
          'AmazonEKSAdminPolicy',
          'AmazonEKSEditPolicy',
          'AmazonEKSViewPolicy',
          'AmazonEKSAutoNodePolicy',
        ].map((name) => ({ name, arn: POLICY(name) })),
      ),
    );
  });

  it('pages through the same policies with maxResults', async () => {
    const all = (await h.eks.send(new ListAccessPoliciesCommand({})))
      .accessPolicies;
    const paged = [];

    for await (const page of paginateListAccessPolicies(
      { client: h.eks, pageSize: 4 },
      {},
    ))
      paged.push(...(page.accessPolicies ?? []));

    expect(paged).toEqual(all);
  });
});

describe('AssociateAccessPolicy', () => {
  it('associates a policy over the cluster and lists it', async () => {
    h.advance(1_000);

    const output = await associate();

    const expected = {
      policyArn: POLICY('AmazonEKSViewPolicy'),
      accessScope: { type: 'cluster', namespaces: [] },
      associatedAt: at(T0 + 1_000),
      modifiedAt: at(T0 + 1_000),
    };
    expect(output).toMatchObject({
      clusterName: 'demo',
      principalArn: DEVELOPERS,
      associatedAccessPolicy: expected,
    });
    expect(await associated()).toEqual([expected]);
  });

  it('replaces the scope when associated again, keeping associatedAt', async () => {
    await associate();
    h.advance(2_000);

    await associate({
      accessScope: { type: 'namespace', namespaces: ['dev', 'qa-*'] },
    });

    expect(await associated()).toEqual([
      {
        policyArn: POLICY('AmazonEKSViewPolicy'),
        accessScope: { type: 'namespace', namespaces: ['dev', 'qa-*'] },
        associatedAt: at(T0),
        modifiedAt: at(T0 + 2_000),
      },
    ]);
  });

  it('refuses a policy on an EC2_LINUX entry', async () => {
    const error = await failure(associate({ principalArn: DEMO_NODES }));

    expect(error).toEqual({
      name: 'InvalidParameterException',
      status: 400,
      message: STANDARD_ONLY,
      clusterName: 'demo',
    });
    expect(await associated(DEMO_NODES)).toEqual([]);
  });

  it('lets an Auto Mode EC2 entry hold AmazonEKSAutoNodePolicy only', async () => {
    await associate({
      clusterName: LAB,
      principalArn: AUTO_NODES,
      policyArn: POLICY('AmazonEKSAutoNodePolicy'),
    });
    const error = await failure(
      associate({ clusterName: LAB, principalArn: AUTO_NODES }),
    );

    expect(error.message).toBe(STANDARD_ONLY);
    expect(
      (await associated(AUTO_NODES, LAB))?.map((p) => p.policyArn),
    ).toEqual([POLICY('AmazonEKSAutoNodePolicy')]);
  });

  it('refuses the Auto Mode node policy on a FARGATE_LINUX entry', async () => {
    const error = await failure(
      associate({
        clusterName: LAB,
        principalArn: FARGATE_PODS,
        policyArn: POLICY('AmazonEKSAutoNodePolicy'),
      }),
    );

    expect(error.message).toBe(STANDARD_ONLY);
  });

  it('refuses a policy that does not exist with ResourceNotFoundException', async () => {
    const error = await failure(
      associate({ policyArn: POLICY('AmazonEKSGodModePolicy') }),
    );

    expect(error).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
      message:
        'The specified policyArn could not be found. You can view the ' +
        "available access policies with 'list-access-policies'.",
    });
  });

  it('refuses a malformed policy ARN with InvalidParameterException', async () => {
    const error = await failure(
      associate({ policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }),
    );

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      message: 'The policyArn parameter format is not valid',
    });
  });

  it.each([
    [
      { type: 'namespace' as const },
      'The accessScope namespaces parameter is required when the ' +
        'accessScope type is namespace.',
    ],
    [
      { type: 'cluster' as const, namespaces: ['dev'] },
      'The accessScope namespaces parameter can only be specified when the ' +
        'accessScope type is namespace.',
    ],
    [
      { type: 'everything' as never },
      'The accessScope type everything is invalid, it must be one of ' +
        '[cluster, namespace]',
    ],
  ])('refuses the access scope %j', async (accessScope, message) => {
    const error = await failure(associate({ accessScope }));

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      status: 400,
      message,
    });
    expect(await associated()).toEqual([]);
  });

  it('answers ResourceNotFoundException for a principal without an entry', async () => {
    const error = await failure(
      associate({ principalArn: `arn:aws:iam::${ACCOUNT}:role/nobody` }),
    );

    expect(error).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('refuses a CONFIG_MAP cluster with InvalidRequestException', async () => {
    const error = await failure(associate({ clusterName: 'legacy' }));

    expect(error).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
    });
  });

  it('drops the associations when the entry is deleted and re-created', async () => {
    await associate();
    await h.eks.send(
      new DeleteAccessEntryCommand({
        clusterName: 'demo',
        principalArn: DEVELOPERS,
      }),
    );

    await h.eks.send(
      new CreateAccessEntryCommand({
        clusterName: 'demo',
        principalArn: DEVELOPERS,
      }),
    );

    expect(await associated()).toEqual([]);
  });
});

describe('DisassociateAccessPolicy', () => {
  const disassociate = () =>
    h.eks.send(
      new DisassociateAccessPolicyCommand({
        clusterName: 'demo',
        principalArn: DEVELOPERS,
        policyArn: POLICY('AmazonEKSViewPolicy'),
      }),
    );

  it('removes an associated policy', async () => {
    await associate();
    await associate({ policyArn: POLICY('AmazonEKSEditPolicy') });

    await disassociate();

    expect((await associated())?.map((p) => p.policyArn)).toEqual([
      POLICY('AmazonEKSEditPolicy'),
    ]);
  });

  it('answers ResourceNotFoundException when the policy is not associated', async () => {
    const error = await failure(disassociate());

    expect(error).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
      message:
        'The specified policyArn is not associated with the access entry.',
      clusterName: 'demo',
    });
  });
});

describe('ListAssociatedAccessPolicies', () => {
  it('pages with maxResults and an opaque nextToken', async () => {
    await associate({ policyArn: POLICY('AmazonEKSViewPolicy') });
    await associate({ policyArn: POLICY('AmazonEKSEditPolicy') });

    const first = await h.eks.send(
      new ListAssociatedAccessPoliciesCommand({
        clusterName: 'demo',
        principalArn: DEVELOPERS,
        maxResults: 1,
      }),
    );
    const second = await h.eks.send(
      new ListAssociatedAccessPoliciesCommand({
        clusterName: 'demo',
        principalArn: DEVELOPERS,
        maxResults: 1,
        nextToken: first.nextToken,
      }),
    );

    expect(
      [first, second].map(
        (page) => page.associatedAccessPolicies?.[0]?.policyArn,
      ),
    ).toEqual([POLICY('AmazonEKSEditPolicy'), POLICY('AmazonEKSViewPolicy')]);
    expect(first.nextToken).toEqual(expect.any(String));
    expect(second.nextToken).toBeUndefined();
  });

  it('refuses maxResults above 100', async () => {
    const error = await failure(
      h.eks.send(
        new ListAssociatedAccessPoliciesCommand({
          clusterName: 'demo',
          principalArn: DEVELOPERS,
          maxResults: 101,
        }),
      ),
    );

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      status: 400,
      message: 'The maxResults parameter value must be between 1 and 100.',
    });
  });
});
