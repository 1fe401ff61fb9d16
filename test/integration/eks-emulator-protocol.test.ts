import {
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  UpdateAccessEntryCommand,
} from '@aws-sdk/client-eks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  DEVELOPERS,
  failure,
  type Harness,
  startHarness,
} from './eks-emulator-harness.ts';

const BUILDER = `arn:aws:iam::${ACCOUNT}:role/builder`;

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

const describeEntry = (principalArn: string) =>
  h.eks.send(
    new DescribeAccessEntryCommand({ clusterName: 'demo', principalArn }),
  );

const update = (kubernetesGroups: string[], clientRequestToken?: string) =>
  h.eks.send(
    new UpdateAccessEntryCommand({
      clusterName: 'demo',
      principalArn: DEVELOPERS,
      kubernetesGroups,
      ...(clientRequestToken ? { clientRequestToken } : {}),
    }),
  );

describe('idempotency by clientRequestToken', () => {
  it('replays a repeated CreateAccessEntry without creating twice', async () => {
    const input = {
      clusterName: 'demo',
      principalArn: BUILDER,
      kubernetesGroups: ['builders'],
      clientRequestToken: 'create-builder-1',
    };
    const first = await h.eks.send(new CreateAccessEntryCommand(input));
    await h.eks.send(
      new DeleteAccessEntryCommand({
        clusterName: 'demo',
        principalArn: BUILDER,
      }),
    );

    const again = await h.eks.send(new CreateAccessEntryCommand(input));

    expect(again.accessEntry).toEqual(first.accessEntry);
    await expect(failure(describeEntry(BUILDER))).resolves.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('replays a repeated UpdateAccessEntry without undoing a later change', async () => {
    const first = await update(['deployers'], 'update-1');
    h.advance(1_000);
    await update(['admins-of-nothing'], 'update-2');

    const again = await update(['deployers'], 'update-1');

    expect(again.accessEntry).toEqual(first.accessEntry);
    expect(
      (await describeEntry(DEVELOPERS)).accessEntry?.kubernetesGroups,
    ).toEqual(['admins-of-nothing']);
  });

  it('refuses a token reused with different parameters', async () => {
    await update(['deployers'], 'update-1');

    const error = await failure(update(['viewers', 'deployers'], 'update-1'));

    expect(error).toEqual({
      name: 'InvalidParameterException',
      status: 400,
      message:
        'The clientRequestToken update-1 has already been used with ' +
        'different parameters.',
      clusterName: 'demo',
    });
    expect(
      (await describeEntry(DEVELOPERS)).accessEntry?.kubernetesGroups,
    ).toEqual(['deployers']);
  });

  it('runs a call whose first try failed when it is retried with the token', async () => {
    await h.control('POST', 'faults', {
      operation: 'UpdateAccessEntry',
      error: 'ServerException',
    });
    await failure(update(['deployers'], 'update-1'));

    await update(['deployers'], 'update-1');

    expect(
      (await describeEntry(DEVELOPERS)).accessEntry?.kubernetesGroups,
    ).toEqual(['deployers']);
  });

  it('treats calls without a repeated token as distinct', async () => {
    await update(['deployers']);
    await update(['viewers']);

    expect(
      (await describeEntry(DEVELOPERS)).accessEntry?.kubernetesGroups,
    ).toEqual(['viewers']);
  });
});

describe('wire protocol', () => {
  const entryPath = (principalArn: string) =>
    `${h.url}/clusters/demo/access-entries/${encodeURIComponent(principalArn)}`;

  it('answers malformed JSON with InvalidParameterException, not a crash', async () => {
    const response = await fetch(entryPath(DEVELOPERS), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"kubernetesGroups": [',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe(
      'InvalidParameterException',
    );
    expect(await response.json()).toEqual({
      message: 'The request body is not valid JSON.',
    });
    expect(
      (await describeEntry(DEVELOPERS)).accessEntry?.kubernetesGroups,
    ).toEqual(['viewers']);
  });

  it('refuses a JSON body that is not an object', async () => {
    const response = await fetch(entryPath(DEVELOPERS), {
      method: 'POST',
      body: '["viewers"]',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe(
      'InvalidParameterException',
    );
  });

  it('refuses kubernetesGroups that is not a list of strings', async () => {
    const response = await fetch(entryPath(DEVELOPERS), {
      method: 'POST',
      body: JSON.stringify({ kubernetesGroups: 'viewers' }),
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      message: 'The kubernetesGroups parameter value is not valid.',
    });
  });

  it('ignores a type sent to UpdateAccessEntry, so the type cannot change', async () => {
    const response = await fetch(entryPath(DEVELOPERS), {
      method: 'POST',
      body: JSON.stringify({ type: 'EC2_LINUX', kubernetesGroups: ['x'] }),
    });

    expect(response.status).toBe(200);
    expect((await describeEntry(DEVELOPERS)).accessEntry?.type).toBe(
      'STANDARD',
    );
  });

  it('sends x-amzn-ErrorType on errors and epoch seconds in bodies', async () => {
    const missing = await fetch(entryPath(`arn:aws:iam::${ACCOUNT}:role/none`));
    const found = await fetch(entryPath(DEVELOPERS));

    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-amzn-errortype')).toBe(
      'ResourceNotFoundException',
    );
    expect(await missing.json()).toMatchObject({ clusterName: 'demo' });
    expect(await found.json()).toMatchObject({
      accessEntry: { createdAt: Date.UTC(2025, 0, 1) / 1000 },
    });
  });

  it('answers an unknown route with a 404 error body', async () => {
    const response = await fetch(`${h.url}/clusters/demo/nodegroups-of-joy`);

    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe(
      'UnknownOperationException',
    );
    expect(await response.json()).toEqual({
      message: 'No operation matches GET /clusters/demo/nodegroups-of-joy.',
    });
  });

  it('refuses a path segment with broken percent-encoding', async () => {
    const response = await fetch(
      `${h.url}/clusters/demo/access-entries/%E0%A4%A`,
    );

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe(
      'InvalidParameterException',
    );
  });
});
