/**
 * The HTTP API's routes and the function serving each. The local server
 * routes by this table, and the template test checks that `template.yaml`
 * declares the same routes.
 */
export const ROUTES = [
  { method: 'POST', path: '/requests', fn: 'submit-request' },
  { method: 'GET', path: '/requests', fn: 'list-requests' },
  { method: 'GET', path: '/requests/{requestId}', fn: 'get-request' },
  { method: 'GET', path: '/requests/{requestId}/audit', fn: 'get-request' },
  {
    method: 'POST',
    path: '/requests/{requestId}/cancel',
    fn: 'cancel-request',
  },
  { method: 'GET', path: '/audit', fn: 'list-audit' },
  { method: 'POST', path: '/slack/interactions', fn: 'slack-interactions' },
] as const;

export type RouteFunction = (typeof ROUTES)[number]['fn'];

/** Functions the state machine invokes, by DefinitionSubstitutions key. */
export const WORKFLOW_FUNCTIONS = {
  RequestApprovalFunctionArn: 'request-approval',
  ExecuteChangeFunctionArn: 'execute-change',
  RecordResultFunctionArn: 'record-result',
} as const;

/** Every Lambda function, each with `functions/<name>/handler.ts`. */
export const FUNCTION_NAMES = [
  ...new Set<string>([
    ...ROUTES.map((route) => route.fn),
    ...Object.values(WORKFLOW_FUNCTIONS),
  ]),
];
