import {
  DescribeAccessEntryCommand,
  ListAccessEntriesCommand,
  UpdateAccessEntryCommand,
} from '@aws-sdk/client-eks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEVELOPERS,
  eksClient,
  failure,
  type Harness,
  startHarness,
} from './eks-emulator-harness.ts';

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

const update = (kubernetesGroups: string[]) =>
  h.eks.send(
    new UpdateAccessEntryCommand({
      clusterName: 'demo',
      principalArn: DEVELOPERS,
      kubernetesGroups,
    }),
  );

const groups = async () =>
  (
    await h.eks.send(
      new DescribeAccessEntryCommand({
        clusterName: 'demo',
        principalArn: DEVELOPERS,
      }),
    )
  ).accessEntry?.kubernetesGroups;

const inject = async (fault: Record<string, unknown>) => {
  const response = await h.control('POST', 'faults', fault);
  expect(response.status).toBe(200);
};

describe('fault injection', () => {
  it('fails the next `times` calls with ServerException, then recovers', async () => {
    await inject({
      operation: 'UpdateAccessEntry',
      error: 'ServerException',
      times: 2,
    });

    const errors = [
      await failure(update(['deployers'])),
      await failure(update(['deployers'])),
    ];

    expect(errors).toEqual(
      Array(2).fill({
        name: 'ServerException',
        status: 500,
        message: 'An internal error occurred. Please try again later.',
        clusterName: 'demo',
      }),
    );
    expect(await groups()).toEqual(['viewers']);
    await update(['deployers']);
    expect(await groups()).toEqual(['deployers']);
  });

  it('sends ThrottlingException as 429 with the message given', async () => {
    await inject({
      operation: 'UpdateAccessEntry',
      error: 'ThrottlingException',
      message: 'Rate exceeded for UpdateAccessEntry',
    });

    const error = await failure(update(['deployers']));

    expect(error).toEqual({
      name: 'ThrottlingException',
      status: 429,
      message: 'Rate exceeded for UpdateAccessEntry',
      clusterName: 'demo',
    });
  });

  it('sends InvalidRequestException as a 400', async () => {
    await inject({
      operation: 'UpdateAccessEntry',
      error: 'InvalidRequestException',
    });

    const error = await failure(update(['deployers']));

    expect(error).toMatchObject({
      name: 'InvalidRequestException',
      status: 400,
    });
  });

  it('leaves other operations alone', async () => {
    await inject({ operation: 'UpdateAccessEntry', error: 'ServerException' });

    const { accessEntries } = await h.eks.send(
      new ListAccessEntriesCommand({ clusterName: 'demo' }),
    );

    expect(accessEntries).toContain(DEVELOPERS);
    await expect(failure(update(['x']))).resolves.toMatchObject({
      name: 'ServerException',
    });
  });

  it('is absorbed by the SDK default retries when transient', async () => {
    await inject({
      operation: 'UpdateAccessEntry',
      error: 'ServerException',
      times: 2,
    });
    const retrying = eksClient(h.url, 3);

    const output = await retrying.send(
      new UpdateAccessEntryCommand({
        clusterName: 'demo',
        principalArn: DEVELOPERS,
        kubernetesGroups: ['deployers'],
      }),
    );

    expect(output.$metadata.attempts).toBe(3);
    expect(await groups()).toEqual(['deployers']);
  });

  it('lists pending faults with the calls they have left and clears them', async () => {
    await inject({
      operation: 'UpdateAccessEntry',
      error: 'ServerException',
      times: 3,
    });
    await failure(update(['deployers']));

    const pending = await (await h.control('GET', 'faults')).json();
    const cleared = await (await h.control('DELETE', 'faults')).json();

    expect(pending).toEqual({
      faults: [
        { operation: 'UpdateAccessEntry', error: 'ServerException', times: 2 },
      ],
    });
    expect(cleared).toEqual({ cleared: 1 });
    await update(['deployers']);
    expect(await groups()).toEqual(['deployers']);
  });

  it.each([
    [{ operation: 'FlyToTheMoon', error: 'ServerException' }],
    [{ operation: 'UpdateAccessEntry', error: 'Oops' }],
    [{ operation: 'UpdateAccessEntry', error: 'ServerException', times: 0 }],
  ])('refuses the fault %j with a 400', async (fault) => {
    const response = await h.control('POST', 'faults', fault);

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe(
      'InvalidParameterException',
    );
    const pending = await (await h.control('GET', 'faults')).json();
    expect(pending).toEqual({ faults: [] });
  });
});

describe('latency', () => {
  it('delays every EKS call by the latency set', async () => {
    await h.control('POST', 'latency', { ms: 150 });
    const started = performance.now();

    await groups();

    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('starts with the latencyMs option', async () => {
    const slow = await startHarness({ latencyMs: 120 });
    const started = performance.now();

    await slow.eks.send(new ListAccessEntriesCommand({ clusterName: 'demo' }));

    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    await slow.emulator.close();
  });
});

describe('state dump', () => {
  it('shows changes made through the API at GET /_emulator/state', async () => {
    await update(['deployers']);

    const state = await (await h.control('GET', 'state')).json();

    expect(state).toEqual(h.emulator.snapshot());
    expect(
      h.emulator
        .snapshot()
        .clusters.find((cluster) => cluster.name === 'demo')
        ?.accessEntries.find((entry) => entry.principalArn === DEVELOPERS)
        ?.kubernetesGroups,
    ).toEqual(['deployers']);
  });
});

describe('reset', () => {
  it('restores the seed state and drops pending faults', async () => {
    await update(['deployers']);
    await inject({
      operation: 'DescribeAccessEntry',
      error: 'ServerException',
    });

    const response = await h.control('POST', 'reset');

    expect(response.status).toBe(200);
    expect(await groups()).toEqual(['viewers']);
  });
});
