/** What a change does to an access entry, as approvers see it. */
export interface EntryDiff {
  groupsAdded: string[];
  groupsRemoved: string[];
  usernameBefore: string;
  usernameAfter: string;
}

interface EntryFields {
  kubernetesGroups: readonly string[];
  username: string;
}

/** The difference between an entry's current and desired fields. */
export function diffEntry(before: EntryFields, after: EntryFields): EntryDiff {
  const had = new Set(before.kubernetesGroups);
  const wants = new Set(after.kubernetesGroups);
  return {
    groupsAdded: [...wants].filter((group) => !had.has(group)).sort(),
    groupsRemoved: [...had].filter((group) => !wants.has(group)).sort(),
    usernameBefore: before.username,
    usernameAfter: after.username,
  };
}

/** True when applying the diff would leave the entry as it is. */
export function isEmptyDiff(diff: EntryDiff): boolean {
  return (
    diff.groupsAdded.length === 0 &&
    diff.groupsRemoved.length === 0 &&
    diff.usernameBefore === diff.usernameAfter
  );
}

/** Compares two group lists as sets, the way EKS stores them. */
export function sameGroups(a: readonly string[], b: readonly string[]) {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((g) => right.has(g));
}
