import {
  CreateAccessEntryCommand,
  type EKSClient,
  UpdateAccessEntryCommand,
} from '@aws-sdk/client-eks';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.ts';
import { checkEksRules } from '../../core/intake.ts';
import { submitRequestSchema } from '../../core/request-schema.ts';
import {
  createEksEmulator,
  type EksEmulator,
} from '../../local/eks-emulator/index.ts';
import { loadSeed, type Seed } from '../../local/seed.ts';
import { eksClient } from './eks-emulator-harness.ts';

/** One generated change request, as far as EKS's rules look at it. */
type Change = {
  principalArn: string;
  kubernetesGroups?: string[];
  username?: string;
};

/** What one side made of a change: refused (and why) or not. */
type Verdict = { rejected: false } | { rejected: true; messages: string[] };

const ACCOUNT = '111122223333';
const CLUSTER = 'demo';

// IAM's name characters, and the printable ASCII an IAM path segment holds.
const NAME_CHARS = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...'_+=,.@-',
];
const PATH_CHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, index) =>
  String.fromCharCode(0x21 + index),
).filter((char) => char !== '/');

const charsFrom = (chars: string[], minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...chars), minLength, maxLength });

const weighted = <T>(...pairs: [number, fc.Arbitrary<T>][]) =>
  fc.oneof(...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));

const iamPath = weighted(
  [3, fc.constant('')],
  [
    3,
    fc
      .array(charsFrom(PATH_CHARS, 1, 8), { minLength: 1, maxLength: 3 })
      .map((segments) => `/${segments.join('/')}`),
  ],
  [1, fc.constantFrom('/aws-service-role/eks.amazonaws.com', '/team/')],
);

const principalName = weighted(
  [14, charsFrom(NAME_CHARS, 1, 64)],
  [1, charsFrom(NAME_CHARS, 65, 70)],
  [1, fc.constantFrom('dev*', 'a b', 'name/', '')],
);

// Built from parts, so that most ARNs are near misses of valid ones.
const structuredArn = fc
  .record({
    partition: weighted(
      [12, fc.constant('aws')],
      [2, fc.constantFrom('aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b')],
      [1, fc.constantFrom('aws-eusc', 'aws-iso-f', 'AWS', '')],
    ),
    service: weighted([14, fc.constant('iam')], [1, fc.constant('sts')]),
    accountId: weighted(
      [10, fc.constant(ACCOUNT)],
      [2, fc.constant('444455556666')],
      [1, fc.constantFrom('12345678901', '1234567890123', 'abcdefghijkl')],
    ),
    kind: weighted(
      [14, fc.constantFrom('role', 'user')],
      [2, fc.constantFrom('assumed-role', 'group', 'federated-user', 'Role')],
    ),
    path: iamPath,
    name: principalName,
  })
  .map(
    (arn) =>
      `arn:${arn.partition}:${arn.service}::${arn.accountId}:` +
      `${arn.kind}${arn.path}/${arn.name}`,
  );

const principalArn = weighted(
  [10, structuredArn],
  [
    1,
    fc.constantFrom(
      `arn:aws:sts::${ACCOUNT}:assumed-role/developers/alice@example.com`,
      `arn:aws:iam::${ACCOUNT}:role/aws-service-role/eks.amazonaws.com/` +
        'AWSServiceRoleForAmazonEKS',
      `arn:aws:iam::${ACCOUNT}:root`,
      `arn:aws:iam::${ACCOUNT}:role/developers `,
      ` arn:aws:iam::${ACCOUNT}:role/developers`,
    ),
  ],
  [1, fc.string({ minLength: 1, maxLength: 40 })],
);

/** Joins 1–3 pieces, so prefixes land at the start and in the middle. */
const pieces = (constants: string[], maxLength: number) =>
  fc
    .array(
      weighted(
        [3, fc.constantFrom(...constants)],
        [1, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 })],
      ),
      { minLength: 1, maxLength },
    )
    .map((parts) => parts.join(''));

const kubernetesGroups = fc.array(
  pieces(
    [
      'system:',
      'system:masters',
      'System:',
      'system',
      ' system:',
      ':',
      'viewers',
      'deployers',
      'cluster-admins',
    ],
    3,
  ),
  { maxLength: 4 },
);

const username = pieces(
  [
    'system:',
    'eks:',
    'aws:',
    'amazon:',
    'iam:',
    'System:',
    'EKS:',
    'amazon',
    ':',
    'dev',
    'dev:',
    '{{SessionName}}',
    '{{SessionNameRaw}}',
    '{{SessionName}',
    '{{EC2PrivateDNSName}}',
    'alice@example.com',
  ],
  4,
);

const change: fc.Arbitrary<Change> = fc
  .record({
    principalArn,
    groups: fc.option(kubernetesGroups, { nil: undefined }),
    username: fc.option(username, { nil: undefined }),
  })
  .map(({ principalArn, groups, username }) => ({
    principalArn,
    // The intake needs one of the two; the emulator takes either.
    ...(groups === undefined && username === undefined
      ? { kubernetesGroups: [] }
      : {}),
    ...(groups === undefined ? {} : { kubernetesGroups: groups }),
    ...(username === undefined ? {} : { username }),
  }));

let seed: Seed;
let emulator: EksEmulator;
let eks: EKSClient;
let seededPrincipals: Set<string>;

beforeAll(async () => {
  seed = await loadSeed();
  seededPrincipals = new Set(
    seed.clusters.flatMap((cluster) =>
      cluster.accessEntries.map((entry) => entry.principalArn),
    ),
  );
  emulator = createEksEmulator({ seed });
  eks = eksClient(await emulator.listen(0), 1);
});

afterAll(async () => {
  eks?.destroy();
  await emulator?.close();
});

/** The intake's verdict: the body schema must pass, EKS's rules may not. */
function intakeVerdict(generated: Change): Verdict {
  const body = submitRequestSchema.parse({
    clusterName: CLUSTER,
    reason: 'property test: intake and EKS agree',
    ...generated,
  });
  try {
    checkEksRules(body);
    return { rejected: false };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const issues = error.details.issues as { message: string }[];
    return { rejected: true, messages: issues.map((issue) => issue.message) };
  }
}

/**
 * EKS's verdict: the principal gets a STANDARD entry if EKS allows one,
 * then the change is sent as UpdateAccessEntry.
 */
async function eksVerdict(generated: Change): Promise<Verdict> {
  const { principalArn, ...changes } = generated;
  emulator.reset();
  try {
    await eks.send(
      new CreateAccessEntryCommand({
        clusterName: CLUSTER,
        principalArn,
        type: 'STANDARD',
      }),
    );
    const { accessEntry } = await eks.send(
      new UpdateAccessEntryCommand({
        clusterName: CLUSTER,
        principalArn,
        ...changes,
      }),
    );
    expect(accessEntry).toMatchObject(changes);
    return { rejected: false };
  } catch (error) {
    const { name, message } = error as Error;
    if (name !== 'InvalidParameterException') throw error;
    return { rejected: true, messages: [message] };
  }
}

describe('intake and the EKS emulator', () => {
  it('reject the same change requests for EKS rules', async () => {
    const notSeeded = change.filter(
      (generated) => !seededPrincipals.has(generated.principalArn),
    );
    const role = `arn:aws:iam::${ACCOUNT}:role`;

    await fc.assert(
      fc.asyncProperty(notSeeded, async (generated) => {
        const intake = intakeVerdict(generated);
        const emulated = await eksVerdict(generated);

        expect(intake.rejected).toBe(emulated.rejected);
        // EKS names the first rule broken; the intake lists them all.
        if (intake.rejected && emulated.rejected)
          expect(intake.messages).toContain(emulated.messages[0]);
      }),
      {
        numRuns: 300,
        examples: [
          [
            {
              principalArn: `${role}/team/a/qa`,
              username: 'dev:{{SessionName}}',
            },
          ],
          [{ principalArn: `${role}/qa`, username: 'dev{{SessionNameRaw}}' }],
          [
            {
              principalArn: `${role}/qa`,
              kubernetesGroups: ['system:masters'],
            },
          ],
          [{ principalArn: `${role}/qa`, username: 'eks:{{SessionName}}' }],
          [{ principalArn: `${role}/aws-service-role/x/y`, username: 'a' }],
          [
            {
              principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/qa/s`,
              kubernetesGroups: [],
            },
          ],
        ],
      },
    );
  });
});
