/**
 * EKS's own rules for access entries, with the messages EKS answers.
 *
 * Shared by the local EKS emulator and the HTTP intake so that a request we
 * refuse up front is refused with the words EKS itself would use, and a
 * request we accept is one EKS accepts.
 */

/** Every access-entry type EKS knows; `STANDARD` is the default. */
export const ACCESS_ENTRY_TYPES = [
  'STANDARD',
  'EC2_LINUX',
  'EC2_WINDOWS',
  'FARGATE_LINUX',
  'HYBRID_LINUX',
  'EC2',
  'HYPERPOD_LINUX',
] as const;

/** One of {@link ACCESS_ENTRY_TYPES}. */
export type AccessEntryType = (typeof ACCESS_ENTRY_TYPES)[number];

/** Cluster authentication modes, as `accessConfig.authenticationMode`. */
export const AUTHENTICATION_MODES = [
  'API',
  'API_AND_CONFIG_MAP',
  'CONFIG_MAP',
] as const;

/** One of {@link AUTHENTICATION_MODES}. */
export type AuthenticationMode = (typeof AUTHENTICATION_MODES)[number];

/** Modes under which EKS serves the access-entry API at all. */
export const ACCESS_ENTRY_AUTHENTICATION_MODES: readonly AuthenticationMode[] =
  ['API', 'API_AND_CONFIG_MAP'];

/** Username prefixes Kubernetes and AWS keep for themselves. */
export const RESERVED_USERNAME_PREFIXES = [
  'system:',
  'eks:',
  'aws:',
  'amazon:',
  'iam:',
] as const;

/** A rule EKS would enforce, broken: the exception and message it sends. */
export type EksRuleViolation = {
  exception: 'InvalidParameterException' | 'InvalidRequestException';
  message: string;
  field:
    | 'principalArn'
    | 'kubernetesGroups'
    | 'username'
    | 'type'
    | 'authenticationMode';
};

/** The parts of an IAM user or role ARN that EKS derives names from. */
export type IamPrincipal = {
  partition: string;
  accountId: string;
  kind: 'user' | 'role';
  /** The IAM path, `/` when none, else like `/team/`. */
  path: string;
  name: string;
};

const PARTITIONS = 'aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b';

// IAM paths allow any printable ASCII but `/` inside a segment; names are
// IAM's `[\w+=,.@-]` up to 64 characters.
const IAM_PRINCIPAL = new RegExp(
  `^arn:(${PARTITIONS}):iam::(\\d{12}):(user|role)` +
    '((?:/[!-.0-~]+)*)/([\\w+=,.@-]{1,64})$',
);

const SESSION_NAME_VARIABLES = ['{{SessionName}}', '{{SessionNameRaw}}'];

const FORMAT_NOT_VALID = 'The principalArn parameter format is not valid';

/** Splits an IAM user or role ARN; `undefined` for anything else. */
export function parsePrincipalArn(arn: string): IamPrincipal | undefined {
  const match = IAM_PRINCIPAL.exec(arn);
  if (!match) return undefined;
  const [, partition, accountId, kind, path, name] = match;
  return {
    partition: partition as string,
    accountId: accountId as string,
    kind: kind as 'user' | 'role',
    path: path ? `${path}/` : '/',
    name: name as string,
  };
}

/**
 * Checks a principal ARN the way CreateAccessEntry does: IAM users and
 * roles of any path pass; STS sessions and service-linked roles do not.
 */
export function checkPrincipalArn(arn: string): EksRuleViolation | undefined {
  const principal = parsePrincipalArn(arn);
  if (!principal) return invalidParameter('principalArn', FORMAT_NOT_VALID);
  if (
    principal.kind === 'role' &&
    principal.path.startsWith('/aws-service-role/')
  )
    return invalidParameter(
      'principalArn',
      'The caller is not allowed to modify access entries with a ' +
        'principalArn value of a Service Linked Role',
    );
  return undefined;
}

/**
 * Node entries stand for machines, which only ever act through a role, so
 * EKS refuses an IAM user for any type but STANDARD.
 */
export function checkPrincipalForType(
  arn: string,
  type: AccessEntryType,
): EksRuleViolation | undefined {
  if (type === 'STANDARD') return undefined;
  if (parsePrincipalArn(arn)?.kind === 'role') return undefined;
  return invalidParameter(
    'principalArn',
    `The principalArn parameter must be an IAM role for Access Entries ` +
      `with a type of "${type}".`,
  );
}

/** Narrows a string to an {@link AccessEntryType}. */
export function isAccessEntryType(type: string): type is AccessEntryType {
  return (ACCESS_ENTRY_TYPES as readonly string[]).includes(type);
}

/** Refuses a type EKS does not know. */
export function checkAccessEntryType(
  type: string,
): EksRuleViolation | undefined {
  if (isAccessEntryType(type)) return undefined;
  return invalidParameter(
    'type',
    `The type ${type} is invalid, it must be one of ` +
      `[${ACCESS_ENTRY_TYPES.join(', ')}]`,
  );
}

/** Refuses the first group name EKS would refuse. */
export function checkKubernetesGroups(
  groups: readonly string[],
): EksRuleViolation | undefined {
  for (const group of groups) {
    if (group === '')
      return invalidParameter(
        'kubernetesGroups',
        'The kubernetes group name is invalid, it cannot be empty',
      );
    if (group.startsWith('system:'))
      return invalidParameter(
        'kubernetesGroups',
        `The kubernetes group name ${group} is invalid, it cannot start ` +
          'with system:',
      );
  }
  return undefined;
}

/**
 * Checks a username given by the caller; EKS's own defaults (which start
 * with `system:node:`) never pass through here.
 */
export function checkUsername(username: string): EksRuleViolation | undefined {
  if (username === '')
    return invalidParameter(
      'username',
      'The username is invalid, it cannot be empty',
    );
  const reserved = RESERVED_USERNAME_PREFIXES.find((prefix) =>
    username.startsWith(prefix),
  );
  if (reserved)
    return invalidParameter(
      'username',
      `The username ${username} is invalid, it cannot start with ${reserved}`,
    );
  const variable = firstSessionNameVariable(username);
  // The colon keeps a session name from impersonating another user: the
  // part before it is a fixed namespace the session cannot choose.
  if (variable && !username.slice(0, variable.index).includes(':'))
    return invalidParameter(
      'username',
      `The username ${username} is invalid, ${variable.name} must have a ` +
        'colon somewhere before it',
    );
  return undefined;
}

/** Refuses the access-entry API on a cluster still on the aws-auth map. */
export function checkAuthenticationMode(
  mode: string,
): EksRuleViolation | undefined {
  if ((ACCESS_ENTRY_AUTHENTICATION_MODES as readonly string[]).includes(mode))
    return undefined;
  return {
    exception: 'InvalidRequestException',
    field: 'authenticationMode',
    message:
      "The cluster's authentication mode must be set to one of " +
      '[API, API_AND_CONFIG_MAP] to perform this operation.',
  };
}

/**
 * Groups, usernames and access policies belong to STANDARD entries only;
 * node entries get their permissions from EKS itself.
 */
export function checkEntryTypeAllowsGroups(
  type: string,
): EksRuleViolation | undefined {
  if (type === 'STANDARD') return undefined;
  return invalidParameter(
    'type',
    'This operation can only be performed on Access Entries with a type ' +
      'of "STANDARD".',
  );
}

/** The username EKS assigns when CreateAccessEntry is given none. */
export function defaultUsername(
  principalArn: string,
  type: AccessEntryType = 'STANDARD',
): string {
  switch (type) {
    case 'EC2_LINUX':
    case 'EC2_WINDOWS':
    case 'EC2':
      return 'system:node:{{EC2PrivateDNSName}}';
    case 'FARGATE_LINUX':
    case 'HYBRID_LINUX':
    case 'HYPERPOD_LINUX':
      return 'system:node:{{SessionName}}';
    case 'STANDARD':
      break;
  }
  const principal = parsePrincipalArn(principalArn);
  if (principal?.kind !== 'role') return principalArn;
  // A role acts only through sessions, so the name is the session's ARN,
  // which carries no IAM path.
  const { partition, accountId, name } = principal;
  return (
    `arn:${partition}:sts::${accountId}:assumed-role/${name}/` +
    '{{SessionName}}'
  );
}

function firstSessionNameVariable(username: string) {
  let first: { name: string; index: number } | undefined;
  for (const name of SESSION_NAME_VARIABLES) {
    const index = username.indexOf(name);
    if (index >= 0 && (!first || index < first.index)) first = { name, index };
  }
  return first;
}

function invalidParameter(
  field: EksRuleViolation['field'],
  message: string,
): EksRuleViolation {
  return { exception: 'InvalidParameterException', field, message };
}
