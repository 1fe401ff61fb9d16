import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_ENTRY_TYPES,
  checkAccessEntryType,
  checkAuthenticationMode,
  checkEntryTypeAllowsGroups,
  checkKubernetesGroups,
  checkPrincipalArn,
  checkPrincipalForType,
  checkUsername,
  defaultUsername,
  parsePrincipalArn,
} from '../../core/eks-rules.ts';

const FORMAT = {
  exception: 'InvalidParameterException',
  field: 'principalArn',
  message: 'The principalArn parameter format is not valid',
};

describe('Function: checkPrincipalArn', () => {
  it.each([
    'arn:aws:iam::111122223333:role/developers',
    'arn:aws:iam::111122223333:user/alice',
    'arn:aws:iam::111122223333:role/platform/team/deployer',
    'arn:aws:iam::111122223333:user/division_abc/subdivision_xyz/Bob',
    'arn:aws-cn:iam::111122223333:role/cn-role',
    'arn:aws-us-gov:iam::111122223333:role/gov.role+x=y,z@w-v',
  ])('accepts %s', (arn) => {
    expect(checkPrincipalArn(arn)).toBeUndefined();
  });

  it.each([
    'arn:aws:sts::111122223333:assumed-role/developers/alice',
    'arn:aws:iam::111122223333:group/admins',
    'arn:aws:iam::111122223333:role/',
    'arn:aws:iam::11112222333:role/short-account',
    'arn:aws:iam:us-east-1:111122223333:role/regional',
    'arn:aws:iam::111122223333:role/has space',
    'arn:aws:iam::111122223333:root',
    'arn:aws:iam::111122223333:role/x'.replace('aws', 'gcp'),
    `arn:aws:iam::111122223333:role/${'r'.repeat(65)}`,
    '',
  ])('refuses %j as not valid', (arn) => {
    expect(checkPrincipalArn(arn)).toEqual(FORMAT);
  });

  it('refuses a service-linked role with its own message', () => {
    const arn =
      'arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/' +
      'AWSServiceRoleForAmazonEKS';

    expect(checkPrincipalArn(arn)).toEqual({
      exception: 'InvalidParameterException',
      field: 'principalArn',
      message:
        'The caller is not allowed to modify access entries with a ' +
        'principalArn value of a Service Linked Role',
    });
  });

  it('refuses nothing that parsePrincipalArn understands, except SLRs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('user', 'role'),
        fc.array(
          fc.oneof(
            fc.constant('aws-service-role'),
            fc.stringMatching(/^[a-z0-9-]{1,10}$/),
          ),
          { maxLength: 3 },
        ),
        fc.stringMatching(/^[\w+=,.@-]{1,64}$/),
        (kind, path, name) => {
          const prefix = path.length ? `${path.join('/')}/` : '';
          const arn = `arn:aws:iam::111122223333:${kind}/${prefix}${name}`;
          const isSlr = kind === 'role' && path[0] === 'aws-service-role';
          expect(parsePrincipalArn(arn)?.name).toBe(name);
          expect(checkPrincipalArn(arn) === undefined).toBe(!isSlr);
        },
      ),
    );
  });
});

describe('Function: parsePrincipalArn', () => {
  it('splits a pathed role into partition, account, path and name', () => {
    expect(
      parsePrincipalArn('arn:aws-cn:iam::111122223333:role/a/b/deployer'),
    ).toEqual({
      partition: 'aws-cn',
      accountId: '111122223333',
      kind: 'role',
      path: '/a/b/',
      name: 'deployer',
    });
  });
});

describe('Function: checkPrincipalForType', () => {
  it('refuses an IAM user for a node type', () => {
    expect(
      checkPrincipalForType('arn:aws:iam::111122223333:user/bob', 'EC2_LINUX')
        ?.message,
    ).toBe(
      'The principalArn parameter must be an IAM role for Access Entries ' +
        'with a type of "EC2_LINUX".',
    );
  });

  it('accepts an IAM user for STANDARD and a role for any type', () => {
    const user = 'arn:aws:iam::111122223333:user/bob';
    const role = 'arn:aws:iam::111122223333:role/nodes';

    expect(checkPrincipalForType(user, 'STANDARD')).toBeUndefined();
    for (const type of ACCESS_ENTRY_TYPES)
      expect(checkPrincipalForType(role, type)).toBeUndefined();
  });
});

describe('Function: checkKubernetesGroups', () => {
  it('names the offending system: group in the message', () => {
    expect(checkKubernetesGroups(['viewers', 'system:masters'])).toEqual({
      exception: 'InvalidParameterException',
      field: 'kubernetesGroups',
      message:
        'The kubernetes group name system:masters is invalid, it cannot ' +
        'start with system:',
    });
  });

  it('accepts ordinary groups, including ones merely containing system:', () => {
    expect(
      checkKubernetesGroups(['viewers', 'my-system:admins', 'System:x']),
    ).toBeUndefined();
    expect(checkKubernetesGroups([])).toBeUndefined();
  });

  it('refuses an empty group name', () => {
    expect(checkKubernetesGroups([''])?.field).toBe('kubernetesGroups');
  });

  it('refuses exactly the groups starting with system:', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (group) => {
        const refused = checkKubernetesGroups([group]) !== undefined;
        expect(refused).toBe(group.startsWith('system:'));
      }),
    );
  });
});

describe('Function: checkUsername', () => {
  it.each(['system:', 'eks:', 'aws:', 'amazon:', 'iam:'])(
    'refuses the reserved prefix %s',
    (prefix) => {
      expect(checkUsername(`${prefix}bob`)).toEqual({
        exception: 'InvalidParameterException',
        field: 'username',
        message:
          `The username ${prefix}bob is invalid, it cannot start with ` +
          prefix,
      });
    },
  );

  it.each([
    'dev:{{SessionName}}',
    'dev:team-{{SessionNameRaw}}',
    'alice',
    'arn:aws:sts::111122223333:assumed-role/dev/{{SessionName}}',
    'awsome-user',
  ])('accepts %s', (username) => {
    expect(checkUsername(username)).toBeUndefined();
  });

  it.each([
    ['dev{{SessionName}}', '{{SessionName}}'],
    ['{{SessionNameRaw}}', '{{SessionNameRaw}}'],
    ['{{SessionName}}:dev', '{{SessionName}}'],
  ])('refuses %s without a colon before %s', (username, variable) => {
    expect(checkUsername(username)?.message).toBe(
      `The username ${username} is invalid, ${variable} must have a colon ` +
        'somewhere before it',
    );
  });

  it('refuses an empty username', () => {
    expect(checkUsername('')?.field).toBe('username');
  });
});

describe('Function: checkAuthenticationMode', () => {
  it.each(['API', 'API_AND_CONFIG_MAP'])('accepts %s', (mode) => {
    expect(checkAuthenticationMode(mode)).toBeUndefined();
  });

  it('refuses CONFIG_MAP with InvalidRequestException', () => {
    expect(checkAuthenticationMode('CONFIG_MAP')).toEqual({
      exception: 'InvalidRequestException',
      field: 'authenticationMode',
      message:
        "The cluster's authentication mode must be set to one of " +
        '[API, API_AND_CONFIG_MAP] to perform this operation.',
    });
  });
});

describe('Function: checkEntryTypeAllowsGroups', () => {
  it('allows STANDARD only', () => {
    const refused = ACCESS_ENTRY_TYPES.filter(
      (type) => checkEntryTypeAllowsGroups(type) !== undefined,
    );

    expect(refused).toEqual(ACCESS_ENTRY_TYPES.filter((t) => t !== 'STANDARD'));
    expect(checkEntryTypeAllowsGroups('EC2_LINUX')?.message).toBe(
      'This operation can only be performed on Access Entries with a type ' +
        'of "STANDARD".',
    );
  });
});

describe('Function: checkAccessEntryType', () => {
  it('accepts every known type and refuses others', () => {
    for (const type of ACCESS_ENTRY_TYPES)
      expect(checkAccessEntryType(type)).toBeUndefined();
    expect(checkAccessEntryType('standard')?.field).toBe('type');
  });
});

describe('Function: defaultUsername', () => {
  it('uses the ARN of an IAM user', () => {
    const arn = 'arn:aws:iam::111122223333:user/ops/alice';

    expect(defaultUsername(arn, 'STANDARD')).toBe(arn);
  });

  it('uses the assumed-role ARN of a role, path dropped', () => {
    expect(defaultUsername('arn:aws:iam::111122223333:role/a/b/deployer')).toBe(
      'arn:aws:sts::111122223333:assumed-role/deployer/{{SessionName}}',
    );
  });

  it('keeps the partition of the role', () => {
    expect(defaultUsername('arn:aws-cn:iam::111122223333:role/r')).toBe(
      'arn:aws-cn:sts::111122223333:assumed-role/r/{{SessionName}}',
    );
  });

  it.each([
    ['EC2_LINUX', 'system:node:{{EC2PrivateDNSName}}'],
    ['EC2_WINDOWS', 'system:node:{{EC2PrivateDNSName}}'],
    ['FARGATE_LINUX', 'system:node:{{SessionName}}'],
    ['HYBRID_LINUX', 'system:node:{{SessionName}}'],
  ] as const)('gives %s nodes %s', (type, username) => {
    expect(defaultUsername('arn:aws:iam::111122223333:role/n', type)).toBe(
      username,
    );
  });

  it('never produces a STANDARD default that checkUsername refuses', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('user', 'role'),
        fc.stringMatching(/^[\w+=,.@-]{1,64}$/),
        (kind, name) => {
          const arn = `arn:aws:iam::111122223333:${kind}/${name}`;
          expect(checkUsername(defaultUsername(arn))).toBeUndefined();
        },
      ),
    );
  });
});
