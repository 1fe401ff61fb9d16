import { sameGroups } from './diff.ts';

interface Observed {
  kubernetesGroups: readonly string[];
  username: string;
  modifiedAt: string;
}

/**
 * What differs between the entry as it was recorded and as it is now, one
 * line per field; empty when nothing does.
 */
export function driftBetween(recorded: Observed, now: Observed): string[] {
  const changes: string[] = [];
  if (!sameGroups(recorded.kubernetesGroups, now.kubernetesGroups)) {
    changes.push(
      `kubernetesGroups [${recorded.kubernetesGroups.join(', ')}] → ` +
        `[${now.kubernetesGroups.join(', ')}]`,
    );
  }
  if (recorded.username !== now.username) {
    changes.push(`username ${recorded.username} → ${now.username}`);
  }
  if (recorded.modifiedAt !== now.modifiedAt) {
    changes.push(`modifiedAt ${recorded.modifiedAt} → ${now.modifiedAt}`);
  }
  return changes;
}

/** Thrown when the entry changed after the request recorded it. */
export class DriftedError extends Error {
  constructor(readonly changes: string[]) {
    super(`The access entry changed since the request: ${changes.join('; ')}`);
    this.name = 'Drifted';
  }
}

/** Maps a workflow error name to the request's `error.code`. */
export function errorCodeFor(errorName: string): string {
  switch (errorName) {
    case 'Drifted':
      return 'Drifted';
    case 'ResourceNotFoundException':
      return 'NotFound';
    case 'InvalidParameterException':
      return 'InvalidParameter';
    case 'InvalidRequestException':
      return 'InvalidRequest';
    case 'ThrottlingException':
      return 'Throttled';
    default:
      return 'ServerError';
  }
}
