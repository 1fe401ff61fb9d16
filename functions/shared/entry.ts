import {
  describeAccessEntry,
  describeAuthenticationMode,
} from '../../adapters/eks.ts';
import { NotFoundError } from '../../core/errors.ts';
import type { CurrentEntry } from '../../core/intake.ts';

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException';
}

/**
 * The cluster's authentication mode and the entry as EKS holds it now.
 * EKS's "not found" becomes our 404 naming what was missing.
 */
export async function readCurrentEntry(
  clusterName: string,
  principalArn: string,
): Promise<{ authMode: string; entry: CurrentEntry }> {
  let authMode: string;
  try {
    authMode = await describeAuthenticationMode(clusterName);
  } catch (error) {
    if (isNotFound(error)) {
      throw new NotFoundError(`No cluster named ${clusterName}`, {
        clusterName,
      });
    }
    throw error;
  }
  if (authMode === 'CONFIG_MAP') {
    return {
      authMode,
      entry: {
        type: 'STANDARD',
        kubernetesGroups: [],
        username: '',
        modifiedAt: '',
      },
    };
  }
  try {
    const found = await describeAccessEntry(clusterName, principalArn);
    return {
      authMode,
      entry: {
        type: found.type ?? 'STANDARD',
        kubernetesGroups: found.kubernetesGroups ?? [],
        username: found.username ?? '',
        modifiedAt: (
          found.modifiedAt ??
          found.createdAt ??
          new Date(0)
        ).toISOString(),
      },
    };
  } catch (error) {
    if (isNotFound(error)) {
      throw new NotFoundError(
        `No access entry for ${principalArn} on cluster ${clusterName}`,
        { clusterName, principalArn },
      );
    }
    throw error;
  }
}
