/**
 * Configuration from the environment. Read lazily so the local stack and
 * tests can set the environment before the first call; the values that
 * build SDK clients are read once, when the client is first needed.
 */
function optional(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function required(name: string): string {
  const value = optional(name);
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

export const config = {
  region: () => optional('AWS_REGION') ?? 'us-east-1',
  requestsTable: () => required('REQUESTS_TABLE'),
  auditTable: () => required('AUDIT_TABLE'),
  idempotencyTable: () => required('IDEMPOTENCY_TABLE'),
  stateMachineArn: () => required('STATE_MACHINE_ARN'),
  approvalTimeoutSeconds: () =>
    Number(optional('APPROVAL_TIMEOUT_SECONDS') ?? 86_400),
  dynamodbEndpoint: () => optional('DYNAMODB_ENDPOINT'),
  eksEndpoint: () => optional('EKS_ENDPOINT'),
  sfnEndpoint: () => optional('SFN_ENDPOINT'),
  slackApiUrl: () => optional('SLACK_API_URL'),
  slackDefaultChannel: () => optional('SLACK_DEFAULT_CHANNEL') ?? 'C0ACCESS',
  /** JSON object of cluster name to channel id. */
  slackChannels: (): Record<string, string> =>
    JSON.parse(optional('SLACK_CHANNELS') ?? '{}') as Record<string, string>,
  /** Locally, the identity header stands in for the authorizer. */
  trustLocalIdentityHeader: () => optional('LOCAL_IDENTITY_HEADER') === 'true',
};

/**
 * Credentials for local endpoints: the SDK must sign, but nothing local
 * checks the signature. Only used when an endpoint override is set.
 */
export function localClientOptions(endpoint: string | undefined) {
  if (endpoint === undefined) return { region: config.region() };
  return {
    region: config.region(),
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}
