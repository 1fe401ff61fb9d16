import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '../shared/logger.ts';

const s3 = new S3Client({});

/** The archive key of one audit event: `audit/<requestId>/<seq>.json`. */
export function archiveKey(event: { requestId: string; seq: number }) {
  return `audit/${event.requestId}/${event.seq}.json`;
}

/**
 * Copies each new audit event from the table stream to the Object Lock
 * bucket. The bucket's default COMPLIANCE retention locks every object;
 * a replayed record writes a new version with the same content, and the
 * first version stays locked. Any failure fails the batch, so the event
 * source mapping retries it and finally sends it to the dead-letter queue.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<void> {
  const bucket = process.env.AUDIT_ARCHIVE_BUCKET;
  if (!bucket) throw new Error('AUDIT_ARCHIVE_BUCKET is not set');
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || image === undefined) continue;
    const audit = unmarshall(image as Record<string, AttributeValue>) as {
      requestId: string;
      seq: number;
    };
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: archiveKey(audit),
        Body: JSON.stringify(audit),
        ContentType: 'application/json',
        // Object Lock buckets require an integrity checksum on PUT.
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    logger.info('audit event archived', {
      requestId: audit.requestId,
      seq: audit.seq,
    });
  }
}
