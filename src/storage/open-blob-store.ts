import path from 'node:path';
import type { BlobConfig } from '../config-hosts';
import { BlobStore } from './blob-store';
import { S3Blobs } from './s3-blobs';

/** The blob store: a folder under the state folder, or that folder as this host's copy of an S3-compatible bucket. */
export function blobStoreFor(stateDir: string, config: BlobConfig): BlobStore {
  return new BlobStore(path.join(stateDir, 'blobs'), config.kind === 's3' ? new S3Blobs(config) : undefined);
}
