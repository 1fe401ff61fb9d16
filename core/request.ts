import type { Status } from './status.ts';

/** 64 KiB: the largest body `POST /requests` accepts. */
export const MAX_BODY_BYTES = 64 * 1024;

/** An access entry's mutable fields as we saw them at intake. */
export interface EntrySnapshot {
  kubernetesGroups: string[];
  username: string;
  modifiedAt: string;
}

export interface Approval {
  by: string;
  decision: 'APPROVED' | 'REJECTED';
  at: string;
}

/** A change request as the API shows it (CONTRACT.md "A request"). */
export interface ChangeRequest {
  requestId: string;
  status: Status;
  clusterName: string;
  principalArn: string;
  requestedBy: string;
  reason: string;
  durationMinutes?: number;
  before: EntrySnapshot;
  after: { kubernetesGroups: string[]; username: string };
  approvalsRequired: number;
  approvals: Approval[];
  result?: { accessEntry: Record<string, unknown> };
  error?: { code: string; message: string };
  createdAt: string;
  updatedAt: string;
  expiresAt?: string;
}

/**
 * What the requests table stores beside the public fields: the head of
 * the audit chain (so an event can be appended without reading the audit),
 * the Slack message, and the execution attempts.
 */
export interface StoredRequest extends ChangeRequest {
  auditSeq: number;
  auditHash: string;
  lockId: string;
  executionAttempts: number;
  slack?: { channel: string; ts: string };
  /** Identities whose decision policy refused (each audited once). */
  refusedBy?: string[];
  /** Step Functions task token of the approval wait; never shown or logged. */
  taskToken?: string;
  /** What happened to a time-bound change when it ran out. */
  revert?: { outcome: 'reverted' | 'skipped'; reason?: string; at: string };
}

const INTERNAL_FIELDS = [
  'auditSeq',
  'auditHash',
  'lockId',
  'executionAttempts',
  'slack',
  'taskToken',
  'refusedBy',
  'id',
  'kind',
] as const;

/** The public view of a stored request. */
export function toPublicRequest(stored: StoredRequest): ChangeRequest {
  const copy: Record<string, unknown> = { ...stored };
  for (const field of INTERNAL_FIELDS) delete copy[field];
  return copy as unknown as ChangeRequest;
}

/** The key of the one-open-request lock for a cluster and principal. */
export function lockIdFor(clusterName: string, principalArn: string): string {
  return `lock#${clusterName}#${principalArn}`;
}
