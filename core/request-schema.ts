import { z } from 'zod';

/** Longest time-bound change any schema allows; policy narrows it. */
const MAX_DURATION_MINUTES = 366 * 24 * 60;

// Limits follow the EKS API model (cluster names, 2048-char ARNs).
const clusterName = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[0-9A-Za-z][A-Za-z0-9\-_]*$/,
    'must start with a letter or digit and hold only letters, digits, - and _',
  );

/** The body of `POST /requests`. Unknown fields are refused. */
export const submitRequestSchema = z
  .strictObject({
    clusterName,
    principalArn: z.string().min(1).max(2048),
    kubernetesGroups: z
      .array(z.string().min(1).max(256), 'must be an array of strings')
      .max(100)
      .optional(),
    username: z.string().min(1).max(256).optional(),
    reason: z.string().trim().min(3).max(1000),
    durationMinutes: z.int().min(1).max(MAX_DURATION_MINUTES).optional(),
  })
  .refine(
    (body) =>
      body.kubernetesGroups !== undefined || body.username !== undefined,
    {
      message: 'at least one of kubernetesGroups and username is required',
      path: ['kubernetesGroups'],
    },
  );

export type SubmitRequestBody = z.infer<typeof submitRequestSchema>;
