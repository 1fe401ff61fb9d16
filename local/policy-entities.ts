import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Seed } from './seed.ts';

/** One entity in Cedar's entities JSON format. */
export interface CedarEntity {
  uid: { type: string; id: string };
  attrs: Record<string, unknown>;
  parents: Array<{ type: string; id: string }>;
  tags?: Record<string, string>;
}

/**
 * The Cedar entities the policies need, from the local seed (schema in
 * `policies/schema.cedarschema`):
 *
 * - `User::"<e-mail>"` for every Slack user and group member, lower-cased,
 *   with the groups they belong to as parents;
 * - `Group::"<name>"` for every seed group;
 * - `Cluster::"<name>"` with the cluster's tags as Cedar tags and the
 *   seed's `privilegedKubernetesGroups` as `privilegedGroups`. The list is
 *   kept per cluster so that a deployment can make it differ by cluster.
 */
export function entitiesFromSeed(seed: Seed): CedarEntity[] {
  const memberships = new Map<string, Set<string>>();
  const join = (email: string, group?: string) => {
    const id = email.trim().toLowerCase();
    const groups = memberships.get(id) ?? new Set<string>();
    if (group !== undefined) groups.add(group);
    memberships.set(id, groups);
  };
  for (const user of seed.slack.users) if (user.email) join(user.email);
  for (const [group, members] of Object.entries(seed.groups)) {
    for (const member of members) join(member, group);
  }

  const users = [...memberships].map(([id, groups]) => ({
    uid: { type: 'User', id },
    attrs: {},
    parents: [...groups].sort().map((group) => ({ type: 'Group', id: group })),
  }));
  const groups = Object.keys(seed.groups).map((id) => ({
    uid: { type: 'Group', id },
    attrs: {},
    parents: [],
  }));
  const clusters = seed.clusters.map((cluster) => ({
    uid: { type: 'Cluster', id: cluster.name },
    attrs: { privilegedGroups: [...seed.privilegedKubernetesGroups] },
    parents: [],
    tags: { ...cluster.tags },
  }));
  return [...users, ...groups, ...clusters];
}

/** Writes {@link entitiesFromSeed}'s output as JSON, creating the folder. */
export async function writePolicyEntities(
  seed: Seed,
  path: string,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(
    path,
    `${JSON.stringify(entitiesFromSeed(seed), null, 2)}\n`,
    'utf8',
  );
}
