import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_FUNCTIONS } from '../../functions/routes.ts';

interface Retrier {
  ErrorEquals: string[];
  MaxAttempts?: number;
  BackoffRate?: number;
  JitterStrategy?: string;
}

type Validate = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };

// asl-validator is CommonJS without type declarations.
const validate = createRequire(import.meta.url)('asl-validator') as Validate;

const text = readFileSync(
  new URL('../../statemachine/access-change.asl.json', import.meta.url),
  'utf8',
);

/** The definition as Step Functions sees it after DefinitionSubstitutions. */
function substituted(): any {
  const arns = Object.fromEntries(
    Object.entries(WORKFLOW_FUNCTIONS).map(([key, name]) => [
      key,
      `arn:aws:lambda:eu-west-1:111122223333:function:eks-access-gate-${name}`,
    ]),
  );
  const replaced = text.replace(/\$\{(\w+)\}/g, (_, key: string) => {
    const arn = arns[key];
    if (arn === undefined) throw new Error(`no substitution for ${key}`);
    return arn;
  });
  return JSON.parse(replaced);
}

const definition = substituted();
const retriersOf = (state: string): Retrier[] =>
  definition.States[state].Retry ?? [];

describe('statemachine/access-change.asl.json', () => {
  it('is a valid state machine once the function ARNs are substituted', () => {
    const result = validate(definition, { checkPaths: true, checkArn: true });

    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('leaves no placeholder unsubstituted', () => {
    expect(JSON.stringify(definition)).not.toMatch(/\$\{/);
  });

  it.each(['ExecuteChange', 'RevertChange'])(
    '%s retries ServerException and ThrottlingException four attempts in all, with full jitter',
    (state) => {
      const retrier = retriersOf(state).find((r) =>
        r.ErrorEquals.includes('ServerException'),
      );

      expect(retrier?.ErrorEquals).toEqual(
        expect.arrayContaining(['ServerException', 'ThrottlingException']),
      );
      expect(retrier?.MaxAttempts).toBe(3);
      expect(retrier?.BackoffRate).toBeGreaterThan(1);
      expect(retrier?.JitterStrategy).toBe('FULL');
    },
  );

  it.each(['ExecuteChange', 'RevertChange'])(
    '%s never retries errors that would fail again',
    (state) => {
      const retried = retriersOf(state).flatMap((r) => r.ErrorEquals);

      for (const error of [
        'InvalidParameterException',
        'InvalidRequestException',
        'ResourceNotFoundException',
        'Drifted',
        'States.ALL',
        'States.TaskFailed',
      ]) {
        expect(retried).not.toContain(error);
      }
    },
  );

  it('invokes only the three workflow functions', () => {
    const invoked = new Set(
      Object.values(definition.States as Record<string, any>)
        .map((state) => state.Parameters?.FunctionName)
        .filter(Boolean),
    );

    expect([...invoked].sort()).toEqual(
      Object.values(WORKFLOW_FUNCTIONS)
        .map(
          (name) =>
            `arn:aws:lambda:eu-west-1:111122223333:function:eks-access-gate-${name}`,
        )
        .sort(),
    );
  });
});
