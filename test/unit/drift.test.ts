import { describe, expect, it } from 'vitest';
import { DriftedError, driftBetween, errorCodeFor } from '../../core/drift.ts';

const RECORDED = {
  kubernetesGroups: ['viewers', 'deployers'],
  username: 'dev',
  modifiedAt: '2025-01-01T00:00:00.000Z',
};

describe('Function: driftBetween', () => {
  it('finds nothing when only the order of groups differs', () => {
    const now = { ...RECORDED, kubernetesGroups: ['deployers', 'viewers'] };

    expect(driftBetween(RECORDED, now)).toEqual([]);
  });

  it('names every field that changed, one line each', () => {
    const now = {
      kubernetesGroups: ['viewers'],
      username: 'other',
      modifiedAt: '2025-01-02T00:00:00.000Z',
    };

    expect(driftBetween(RECORDED, now)).toEqual([
      'kubernetesGroups [viewers, deployers] → [viewers]',
      'username dev → other',
      'modifiedAt 2025-01-01T00:00:00.000Z → 2025-01-02T00:00:00.000Z',
    ]);
  });

  it('catches a change that left the fields as they were but moved modifiedAt', () => {
    const now = { ...RECORDED, modifiedAt: '2025-01-01T00:00:01.000Z' };

    expect(driftBetween(RECORDED, now)).toHaveLength(1);
  });
});

describe('Function: DriftedError', () => {
  it('is named Drifted and lists the changes in its message', () => {
    const error = new DriftedError(['username a → b', 'modifiedAt x → y']);

    expect(error.name).toBe('Drifted');
    expect(error.changes).toEqual(['username a → b', 'modifiedAt x → y']);
    expect(error.message).toBe(
      'The access entry changed since the request: username a → b; modifiedAt x → y',
    );
  });
});

describe('Function: errorCodeFor', () => {
  it.each([
    ['Drifted', 'Drifted'],
    ['ResourceNotFoundException', 'NotFound'],
    ['InvalidParameterException', 'InvalidParameter'],
    ['InvalidRequestException', 'InvalidRequest'],
    ['ThrottlingException', 'Throttled'],
    ['ServerException', 'ServerError'],
    ['States.TaskFailed', 'ServerError'],
    ['Lambda.Unknown', 'ServerError'],
  ])('maps %s to %s', (name, code) => {
    expect(errorCodeFor(name)).toBe(code);
  });
});
