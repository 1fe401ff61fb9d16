import { invalidParameter } from './errors.ts';

/** The EKS operations the emulator answers. */
export const OPERATIONS = [
  'DescribeCluster',
  'CreateAccessEntry',
  'ListAccessEntries',
  'DescribeAccessEntry',
  'UpdateAccessEntry',
  'DeleteAccessEntry',
  'AssociateAccessPolicy',
  'ListAssociatedAccessPolicies',
  'DisassociateAccessPolicy',
  'ListAccessPolicies',
] as const;

/** One of {@link OPERATIONS}. */
export type Operation = (typeof OPERATIONS)[number];

/** Path parameters, percent-decoded. */
export type PathParams = Record<string, string>;

/** A request matched to an operation. */
export type RouteMatch = { operation: Operation; params: PathParams };

type Route = { operation: Operation; method: string; segments: string[] };

// Patterns as in the EKS API model; `{x}` is one path segment.
const ROUTES: Route[] = [
  ['DescribeCluster', 'GET', '/clusters/{clusterName}'],
  ['CreateAccessEntry', 'POST', '/clusters/{clusterName}/access-entries'],
  ['ListAccessEntries', 'GET', '/clusters/{clusterName}/access-entries'],
  [
    'DescribeAccessEntry',
    'GET',
    '/clusters/{clusterName}/access-entries/{principalArn}',
  ],
  [
    'UpdateAccessEntry',
    'POST',
    '/clusters/{clusterName}/access-entries/{principalArn}',
  ],
  [
    'DeleteAccessEntry',
    'DELETE',
    '/clusters/{clusterName}/access-entries/{principalArn}',
  ],
  [
    'AssociateAccessPolicy',
    'POST',
    '/clusters/{clusterName}/access-entries/{principalArn}/access-policies',
  ],
  [
    'ListAssociatedAccessPolicies',
    'GET',
    '/clusters/{clusterName}/access-entries/{principalArn}/access-policies',
  ],
  [
    'DisassociateAccessPolicy',
    'DELETE',
    '/clusters/{clusterName}/access-entries/{principalArn}/access-policies/' +
      '{policyArn}',
  ],
  ['ListAccessPolicies', 'GET', '/access-policies'],
].map(([operation, method, path]) => ({
  operation: operation as Operation,
  method: method as string,
  segments: (path as string).split('/').slice(1),
}));

/** Narrows a string to an {@link Operation}. */
export function isOperation(name: string): name is Operation {
  return (OPERATIONS as readonly string[]).includes(name);
}

/**
 * Finds the operation for a method and raw path. The path is split before
 * decoding because a principal ARN arrives as one segment with its `/`
 * percent-encoded.
 */
export function matchRoute(
  method: string,
  rawPath: string,
): RouteMatch | undefined {
  const segments = rawPath.replace(/\/+$/, '').split('/').slice(1);
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const params = matchSegments(route.segments, segments);
    if (params) return { operation: route.operation, params };
  }
  return undefined;
}

function matchSegments(
  pattern: string[],
  actual: string[],
): PathParams | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: PathParams = {};
  for (const [index, part] of pattern.entries()) {
    const value = actual[index] as string;
    if (part.startsWith('{')) {
      if (value === '') return undefined;
      params[part.slice(1, -1)] = decodeSegment(value);
    } else if (part !== value) return undefined;
  }
  return params;
}

function decodeSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw invalidParameter(`The path segment ${value} is not valid.`);
  }
}
