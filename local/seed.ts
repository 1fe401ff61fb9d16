import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const accessEntryTypes = [
  'STANDARD',
  'EC2_LINUX',
  'EC2_WINDOWS',
  'FARGATE_LINUX',
  'HYBRID_LINUX',
  'EC2',
  'HYPERPOD_LINUX',
] as const;

const seedSchema = z.object({
  accountId: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  clusters: z.array(
    z.object({
      name: z.string().min(1),
      authenticationMode: z.enum(['API', 'API_AND_CONFIG_MAP', 'CONFIG_MAP']),
      tags: z.record(z.string(), z.string()).default({}),
      accessEntries: z
        .array(
          z.object({
            principalArn: z.string(),
            type: z.enum(accessEntryTypes).default('STANDARD'),
            kubernetesGroups: z.array(z.string()).default([]),
            username: z.string().optional(),
          }),
        )
        .default([]),
    }),
  ),
  slack: z.object({
    defaultChannel: z.string(),
    channels: z.record(z.string(), z.string()).default({}),
    users: z.array(
      z.object({
        id: z.string(),
        email: z.string().optional(),
        name: z.string(),
      }),
    ),
  }),
  groups: z.record(z.string(), z.array(z.string())).default({}),
  privilegedKubernetesGroups: z.array(z.string()).default([]),
});

/** The local stack's seed data, as `local/seed.json` holds it. */
export type Seed = z.infer<typeof seedSchema>;
export type SeedCluster = Seed['clusters'][number];
export type SeedAccessEntry = SeedCluster['accessEntries'][number];

/** Default seed location, relative to the repository root. */
export const defaultSeedPath = new URL('./seed.json', import.meta.url);

/** Reads and validates a seed file; throws naming the bad field. */
export async function loadSeed(path: string | URL = defaultSeedPath) {
  const raw = JSON.parse(await readFile(path, 'utf8')) as unknown;
  const parsed = seedSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(
      `seed ${String(path)}: ${first?.path.join('.')}: ${first?.message}`,
    );
  }
  return parsed.data;
}
