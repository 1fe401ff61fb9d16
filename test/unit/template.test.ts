import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FUNCTION_NAMES,
  ROUTES,
  WORKFLOW_FUNCTIONS,
} from '../../functions/routes.ts';
import { tableDefinitions } from '../../local/tables.ts';
import { functionBuilds, loadTemplate } from '../../scripts/build.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const template = await loadTemplate(join(ROOT, 'template.yaml'));
const resources = template.Resources;

type Statement = {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
};

const list = <T>(value: T | T[]): T[] =>
  Array.isArray(value) ? value : [value];
const pascal = (name: string) =>
  name
    .split('-')
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
const ofType = (type: string) =>
  Object.entries(resources).filter(([, resource]) => resource.Type === type);
const props = (id: string) =>
  (resources[id]?.Properties ?? {}) as Record<string, any>;

/** Every role's statements, inline and from the stack's managed policies. */
function roleStatements(roleId: string): Statement[] {
  const role = props(roleId);
  const inline = (role.Policies ?? []).flatMap(
    (policy: any) => policy.PolicyDocument.Statement,
  );
  const managed = (role.ManagedPolicyArns ?? []).flatMap((arn: any) =>
    arn.Ref ? props(arn.Ref).PolicyDocument.Statement : [],
  );
  return [...inline, ...managed];
}

const roles = ofType('AWS::IAM::Role').map(([id]) => id);
const allows = (roleId: string, action: string) =>
  roleStatements(roleId).filter(
    (s) => s.Effect === 'Allow' && list(s.Action).includes(action),
  );
const isTable = (resource: unknown, table: string) =>
  list(resource as unknown[]).some(
    (r) =>
      JSON.stringify(r) === JSON.stringify({ 'Fn::GetAtt': [table, 'Arn'] }),
  );

/** Whether `from` reaches `target` through relative imports. */
function importsFile(
  from: string,
  target: string,
  seen = new Set<string>(),
): boolean {
  if (from === target) return true;
  if (seen.has(from) || !existsSync(from)) return false;
  seen.add(from);
  const source = readFileSync(from, 'utf8');
  return [...source.matchAll(/from '(\.{1,2}\/[^']+)'/g)].some((match) =>
    importsFile(join(dirname(from), match[1] ?? ''), target, seen),
  );
}

/** Evaluates the Ref/Join/Split expression with a value for ClusterArns. */
function evaluate(node: unknown, clusterArns: string[]): unknown {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return node.map((n) => evaluate(n, clusterArns));
  const expr = node as Record<string, any>;
  if (expr.Ref === 'ClusterArns') return clusterArns;
  if (expr['Fn::Join']) {
    const [sep, parts] = expr['Fn::Join'];
    return (evaluate(parts, clusterArns) as unknown[]).flat().join(sep);
  }
  if (expr['Fn::Split']) {
    const [sep, source] = expr['Fn::Split'];
    return (evaluate(source, clusterArns) as string).split(sep);
  }
  throw new Error(`cannot evaluate ${JSON.stringify(node)}`);
}

describe('template.yaml', () => {
  it('declares one function per name in FUNCTION_NAMES, plus the archive', () => {
    const names = functionBuilds(template).map((fn) => fn.name);

    expect(names.sort()).toEqual([...FUNCTION_NAMES, 'archive-audit'].sort());
  });

  it.each(functionBuilds(template).map((fn) => [fn.name, fn] as const))(
    'builds %s from an existing handler.ts that exports handler',
    (name, fn) => {
      const entry = join(ROOT, 'functions', name, 'handler.ts');
      const resource = props(fn.logicalId);
      const metadata = resources[fn.logicalId]?.Metadata as any;

      expect(existsSync(entry)).toBe(true);
      expect(readFileSync(entry, 'utf8')).toMatch(
        /export (const|async function|function) handler\b/,
      );
      expect(resource.Handler).toBe('handler.handler');
      expect(resource.CodeUri).toBe('./');
      expect(metadata.BuildProperties).toMatchObject({
        Format: 'esm',
        Minify: true,
        Sourcemap: true,
        OutExtension: ['.js=.mjs'],
      });
      expect(metadata.BuildProperties.Banner[0]).toMatch(
        /^js=import \{ createRequire \} from "module"; const require = createRequire\(import\.meta\.url\);/,
      );
    },
  );

  it('runs every function on nodejs22.x and arm64 with tracing', () => {
    const globals = (template as any).Globals.Function;

    expect(globals).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Tracing: 'Active',
    });
    for (const [id] of ofType('AWS::Serverless::Function')) {
      expect(props(id).Runtime ?? globals.Runtime).toBe('nodejs22.x');
    }
  });

  it.each(functionBuilds(template).map((fn) => [fn.name, fn] as const))(
    'ships the policies and the Cedar wasm to %s exactly when it uses Cedar',
    (name, fn) => {
      const usesCedar = importsFile(
        join(ROOT, 'functions', name, 'handler.ts'),
        join(ROOT, 'adapters', 'policy-loader.ts'),
      );
      const resource = props(fn.logicalId);

      if (!usesCedar) {
        expect(resource.Layers).toBeUndefined();
        return;
      }
      expect(resource.Layers).toEqual([
        { Ref: 'PoliciesLayer' },
        { Ref: 'CedarWasmLayer' },
      ]);
      expect(resource.Environment.Variables).toMatchObject({
        POLICY_DIR: '/opt',
        POLICY_ENTITIES_FILE: '/opt/entities.json',
        CEDAR_WASM_DIR: '/opt',
      });
    },
  );

  it('builds the layers from the policies and the Cedar wasm', () => {
    expect(props('PoliciesLayer').ContentUri).toBe('policies/');
    expect(
      existsSync(
        join(ROOT, props('CedarWasmLayer').ContentUri, 'cedar_wasm_bg.wasm'),
      ),
    ).toBe(true);
  });

  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route]))(
    'routes %s to its function',
    (routeKey, route) => {
      const routes = ofType('AWS::ApiGatewayV2::Route').filter(
        ([id]) => props(id).RouteKey === routeKey,
      );
      const [, routeResource] = routes[0] ?? [];
      const target = String(
        (routeResource?.Properties as any)?.Target?.['Fn::Sub'],
      );
      const integration = target.match(/^integrations\/\$\{(\w+)\}$/)?.[1];
      const uri = props(integration ?? '').IntegrationUri;

      expect(routes).toHaveLength(1);
      expect(uri).toEqual({
        'Fn::GetAtt': [`${pascal(route.fn)}Function`, 'Arn'],
      });
    },
  );

  it('declares no route that routes.ts does not have', () => {
    const declared = ofType('AWS::ApiGatewayV2::Route').map(
      ([id]) => props(id).RouteKey,
    );

    expect(declared.sort()).toEqual(
      ROUTES.map((r) => `${r.method} ${r.path}`).sort(),
    );
  });

  it('puts every route but the Slack one behind the IAM or JWT authorizer', () => {
    for (const [id] of ofType('AWS::ApiGatewayV2::Route')) {
      const route = props(id);
      const expected =
        route.RouteKey === 'POST /slack/interactions'
          ? 'NONE'
          : { 'Fn::If': ['UseJwt', 'JWT', 'AWS_IAM'] };

      expect(route.AuthorizationType, route.RouteKey).toEqual(expected);
    }
    expect(resources.JwtAuthorizer?.Condition).toBe('UseJwt');
    expect(template.Parameters?.AuthMode?.Default).toBe('IAM');
  });

  it('substitutes exactly the placeholders the ASL uses', () => {
    const machine = props('AccessChangeStateMachine');
    const asl = readFileSync(join(ROOT, machine.DefinitionUri), 'utf8');
    const placeholders = new Set(
      [...asl.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]),
    );
    const keys = Object.keys(machine.DefinitionSubstitutions);

    expect(keys.sort()).toEqual([...placeholders].sort());
    for (const [key, name] of Object.entries(WORKFLOW_FUNCTIONS)) {
      expect(machine.DefinitionSubstitutions[key]).toEqual({
        'Fn::GetAtt': [`${pascal(name)}Function`, 'Arn'],
      });
    }
    expect(machine.Type).toBe('STANDARD');
    expect(machine.Logging.Level).toBe('ALL');
    expect(machine.Tracing.Enabled).toBe(true);
  });

  it('lets the state machine invoke its three functions and no other', () => {
    const invoke = allows('StateMachineRole', 'lambda:InvokeFunction');

    expect(invoke.flatMap((s) => list(s.Resource))).toEqual(
      Object.values(WORKFLOW_FUNCTIONS).map((name) => ({
        'Fn::GetAtt': [`${pascal(name)}Function`, 'Arn'],
      })),
    );
  });

  it('gives eks:UpdateAccessEntry to execute-change only', () => {
    const holders = roles.filter(
      (role) => allows(role, 'eks:UpdateAccessEntry').length > 0,
    );

    expect(holders).toEqual(['ExecuteChangeRole']);
  });

  it('limits access-entry permissions to the clusters in ClusterArns', () => {
    const clusters = [
      'arn:aws:eks:eu-west-1:111122223333:cluster/demo',
      'arn:aws:eks:eu-west-1:111122223333:cluster/prod',
    ];
    const expected = [
      'arn:aws:eks:eu-west-1:111122223333:access-entry/demo/*',
      'arn:aws:eks:eu-west-1:111122223333:access-entry/prod/*',
    ];

    for (const [role, action] of [
      ['ExecuteChangeRole', 'eks:UpdateAccessEntry'],
      ['ExecuteChangeRole', 'eks:DescribeAccessEntry'],
      ['SubmitRequestRole', 'eks:DescribeAccessEntry'],
    ] as const) {
      const [statement] = allows(role, action);
      expect(evaluate(statement?.Resource, clusters), role).toEqual(expected);
    }
    expect(
      allows('SubmitRequestRole', 'eks:DescribeCluster')[0]?.Resource,
    ).toEqual({
      Ref: 'ClusterArns',
    });
  });

  it('lets only submit-request start the workflow', () => {
    const holders = roles.filter(
      (role) => allows(role, 'states:StartExecution').length > 0,
    );

    expect(holders).toEqual(['SubmitRequestRole']);
  });

  it('lets only the two deciding functions complete an approval token', () => {
    const holders = roles.filter(
      (role) => allows(role, 'states:SendTaskSuccess').length > 0,
    );

    expect(holders.sort()).toEqual([
      'RequestApprovalRole',
      'SlackInteractionsRole',
    ]);
  });

  it('gives the Slack secret only to the functions that talk to Slack', () => {
    const holders = roles.filter(
      (role) => allows(role, 'secretsmanager:GetSecretValue').length > 0,
    );

    expect(holders.sort()).toEqual([
      'CancelRequestRole',
      'RecordResultRole',
      'RequestApprovalRole',
      'SlackInteractionsRole',
    ]);
    for (const role of holders) {
      expect(
        allows(role, 'secretsmanager:GetSecretValue')[0]?.Resource,
      ).toEqual({
        Ref: 'SlackSecret',
      });
    }
  });

  it('has no wildcard action in any policy', () => {
    const text = JSON.stringify(resources);
    const documents = [...text.matchAll(/"Action":("[^"]*"|\[[^\]]*\])/g)];
    const actions = documents.flatMap((match) =>
      list(JSON.parse(match[1] ?? '""')),
    );

    expect(actions.length).toBeGreaterThan(30);
    expect(
      actions.filter((a: string) => a === '*' || /^[\w-]+:\*$/.test(a)),
    ).toEqual([]);
  });

  it('uses a * resource only for X-Ray and log delivery, which allow nothing narrower', () => {
    for (const role of roles) {
      for (const statement of roleStatements(role)) {
        if (statement.Resource !== '*') continue;
        for (const action of list(statement.Action)) {
          expect(action, role).toMatch(
            /^(xray:|logs:(\w+LogDeliver|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))/,
          );
        }
      }
    }
  });

  it('never allows updating or deleting audit events, and denies it to every role', () => {
    for (const role of roles) {
      const statements = roleStatements(role);
      const allowed = statements.filter(
        (s) => s.Effect === 'Allow' && isTable(s.Resource, 'AuditTable'),
      );
      const denied = statements.filter(
        (s) => s.Effect === 'Deny' && isTable(s.Resource, 'AuditTable'),
      );

      expect(
        allowed.flatMap((s) => list(s.Action)),
        role,
      ).not.toEqual(expect.arrayContaining(['dynamodb:UpdateItem']));
      expect(
        allowed.flatMap((s) => list(s.Action)),
        role,
      ).not.toEqual(expect.arrayContaining(['dynamodb:DeleteItem']));
      expect(
        denied.flatMap((s) => list(s.Action)),
        role,
      ).toEqual(
        expect.arrayContaining([
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:BatchWriteItem',
        ]),
      );
    }
  });

  it('lets list-requests read requests by key in batches only, and list-audit not at all', () => {
    const batch = allows('ListRequestsRole', 'dynamodb:BatchGetItem');

    expect(batch).toHaveLength(1);
    expect(batch[0]?.Resource).toEqual({
      'Fn::GetAtt': ['RequestsTable', 'Arn'],
    });
    for (const action of ['dynamodb:GetItem', 'dynamodb:Scan']) {
      expect(allows('ListRequestsRole', action)).toEqual([]);
    }
    expect(allows('ListAuditRole', 'dynamodb:BatchGetItem')).toEqual([]);
  });

  it('declares the tables as local/tables.ts does, with PITR, SSE and deletion protection', () => {
    const local = tableDefinitions({
      requests: 'RequestsTable',
      audit: 'AuditTable',
    });

    for (const definition of local) {
      const table = props(definition.TableName ?? '');
      expect(table.KeySchema).toEqual(definition.KeySchema);
      expect(table.AttributeDefinitions).toEqual(
        definition.AttributeDefinitions,
      );
      expect(table.GlobalSecondaryIndexes).toEqual(
        definition.GlobalSecondaryIndexes,
      );
      expect(table.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: true,
      });
      expect(table.DeletionProtectionEnabled).toBe(true);
      expect(table.SSESpecification).toEqual({ SSEEnabled: true });
    }
    expect(props('AuditTable').StreamSpecification).toEqual({
      StreamViewType: 'NEW_IMAGE',
    });
  });

  it('gives submit-request the Idempotency-Key table, keyed as Powertools expects', () => {
    const table = props('IdempotencyTable');
    const env = props('SubmitRequestFunction').Environment.Variables;

    expect(table.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(table.TimeToLiveSpecification).toEqual({
      AttributeName: 'expiration',
      Enabled: true,
    });
    expect(env.IDEMPOTENCY_TABLE).toEqual({ Ref: 'IdempotencyTable' });
    expect(
      roles.filter((role) =>
        roleStatements(role).some((s) =>
          isTable(s.Resource, 'IdempotencyTable'),
        ),
      ),
    ).toEqual(['SubmitRequestRole']);
  });

  it('archives audit events to a COMPLIANCE-mode Object Lock bucket', () => {
    const bucket = props('AuditArchiveBucket');

    expect(bucket.ObjectLockEnabled).toBe(true);
    expect(bucket.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({
      Mode: 'COMPLIANCE',
      Days: { Ref: 'AuditArchiveRetentionDays' },
    });
  });

  it('alarms on failed executions and on errors of every function', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([id]) => props(id));
    const watched = alarms
      .filter((a) => a.MetricName === 'Errors')
      .map((a) => a.Dimensions[0].Value.Ref);

    expect(watched.sort()).toEqual(
      ofType('AWS::Serverless::Function')
        .map(([id]) => id)
        .sort(),
    );
    expect(alarms.some((a) => a.MetricName === 'ExecutionsFailed')).toBe(true);
  });

  it('gives every function its own log group with retention', () => {
    for (const [id] of ofType('AWS::Serverless::Function')) {
      const group = props(id).LoggingConfig.LogGroup.Ref;
      expect(props(group).RetentionInDays).toEqual({ Ref: 'LogRetentionDays' });
    }
  });

  it('comments every resource', () => {
    const text = readFileSync(join(ROOT, 'template.yaml'), 'utf8');
    const uncommented = Object.keys(resources).filter(
      (id) => !new RegExp(`#[^\\n]*\\n  ${id}:`).test(text),
    );

    expect(uncommented).toEqual([]);
  });
});
