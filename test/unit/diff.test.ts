import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffEntry, isEmptyDiff, sameGroups } from '../../core/diff.ts';

const entry = (kubernetesGroups: string[], username = 'dev') => ({
  kubernetesGroups,
  username,
});

describe('Function: diffEntry', () => {
  it('lists groups added and removed, sorted, and both usernames', () => {
    const diff = diffEntry(
      entry(['viewers', 'b-old', 'a-old']),
      entry(['z-new', 'viewers', 'c-new'], 'dev:{{SessionName}}'),
    );

    expect(diff).toEqual({
      groupsAdded: ['c-new', 'z-new'],
      groupsRemoved: ['a-old', 'b-old'],
      usernameBefore: 'dev',
      usernameAfter: 'dev:{{SessionName}}',
    });
  });

  it('ignores order and duplicates, as EKS stores groups as a set', () => {
    const diff = diffEntry(entry(['a', 'b']), entry(['b', 'a', 'a']));

    expect(diff.groupsAdded).toEqual([]);
    expect(diff.groupsRemoved).toEqual([]);
    expect(isEmptyDiff(diff)).toBe(true);
  });

  it('adds exactly what the after-state has and the before-state lacks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string()),
        fc.array(fc.string()),
        (before, after) => {
          const diff = diffEntry(entry(before), entry(after));

          const rebuilt = new Set(
            [...before, ...diff.groupsAdded].filter(
              (g) => !diff.groupsRemoved.includes(g),
            ),
          );
          expect(sameGroups([...rebuilt], after)).toBe(true);
          expect(
            diff.groupsAdded.some((g) => diff.groupsRemoved.includes(g)),
          ).toBe(false);
        },
      ),
    );
  });
});

describe('Function: isEmptyDiff', () => {
  it('is false when only the username changes', () => {
    expect(isEmptyDiff(diffEntry(entry(['a']), entry(['a'], 'other')))).toBe(
      false,
    );
  });

  it('is false when a group is added', () => {
    expect(isEmptyDiff(diffEntry(entry([]), entry(['a'])))).toBe(false);
  });
});

describe('Function: sameGroups', () => {
  it.each([
    [['a', 'b'], ['b', 'a'], true],
    [['a', 'a'], ['a'], true],
    [[], [], true],
    [['a'], ['a', 'b'], false],
    [['a', 'b'], ['a', 'c'], false],
  ])('compares %j and %j as sets: %s', (left, right, same) => {
    expect(sameGroups(left, right)).toBe(same);
  });
});
