import {
  AssociateAccessPolicyCommand,
  DeleteAccessEntryCommand,
  ListAccessEntriesCommand,
  paginateListAccessEntries,
} from '@aws-sdk/client-eks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ALICE,
  CI_DEPLOYER,
  DEMO_NODES,
  DEVELOPERS,
  failure,
  type Harness,
  POLICY,
  startHarness,
} from './eks-emulator-harness.ts';

const SEEDED = [CI_DEPLOYER, DEMO_NODES, DEVELOPERS, ALICE];

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

const list = (input: Partial<ListAccessEntriesCommand['input']> = {}) =>
  h.eks.send(new ListAccessEntriesCommand({ clusterName: 'demo', ...input }));

describe('ListAccessEntries', () => {
  it('lists every seeded principal on one page when it fits', async () => {
    const output = await list();

    expect(output.accessEntries).toEqual(SEEDED);
    expect(output.nextToken).toBeUndefined();
  });

  it('pages with maxResults and nextToken, each principal once', async () => {
    const pages: string[][] = [];

    for await (const page of paginateListAccessEntries(
      { client: h.eks, pageSize: 3 },
      { clusterName: 'demo' },
    ))
      pages.push(page.accessEntries ?? []);

    expect(pages).toEqual([SEEDED.slice(0, 3), SEEDED.slice(3)]);
  });

  it('neither skips nor repeats when an entry is deleted between pages', async () => {
    const first = await list({ maxResults: 2 });
    await h.eks.send(
      new DeleteAccessEntryCommand({
        clusterName: 'demo',
        principalArn: CI_DEPLOYER,
      }),
    );

    const second = await list({ maxResults: 2, nextToken: first.nextToken });

    expect(second.accessEntries).toEqual([DEVELOPERS, ALICE]);
  });

  it.each([0, 101])(
    'refuses maxResults %i with InvalidParameterException',
    async (maxResults) => {
      const error = await failure(list({ maxResults }));

      expect(error).toEqual({
        name: 'InvalidParameterException',
        status: 400,
        message: 'The maxResults parameter value must be between 1 and 100.',
      });
    },
  );

  it('refuses a nextToken it did not issue', async () => {
    const error = await failure(list({ nextToken: 'not-a-token' }));

    expect(error).toMatchObject({
      name: 'InvalidParameterException',
      message: 'The nextToken parameter value is not valid.',
    });
  });

  it('refuses a nextToken issued for another cluster', async () => {
    const { nextToken } = await list({ maxResults: 1 });

    const error = await failure(
      list({ clusterName: 'nodes-lab', maxResults: 1, nextToken }),
    );

    expect(error.name).toBe('InvalidParameterException');
  });

  it('filters by associatedPolicyArn', async () => {
    await h.eks.send(
      new AssociateAccessPolicyCommand({
        clusterName: 'demo',
        principalArn: ALICE,
        policyArn: POLICY('AmazonEKSEditPolicy'),
        accessScope: { type: 'namespace', namespaces: ['alice'] },
      }),
    );

    const output = await list({
      associatedPolicyArn: POLICY('AmazonEKSEditPolicy'),
    });

    expect(output.accessEntries).toEqual([ALICE]);
  });

  it('refuses a CONFIG_MAP cluster with InvalidRequestException', async () => {
    const error = await failure(list({ clusterName: 'legacy' }));

    expect(error).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
      clusterName: 'legacy',
    });
  });

  it('answers ResourceNotFoundException for an unknown cluster', async () => {
    const error = await failure(list({ clusterName: 'nope' }));

    expect(error).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
      message: 'No cluster found for name: nope.',
    });
  });
});
