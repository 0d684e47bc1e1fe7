import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => { run(): Promise<AddressInfo>; close(): Promise<void> };

/** s3rver's fixed credentials: it refuses an unknown access key id (403 InvalidAccessKeyId). */
export const S3RVER_KEY = 'S3RVER';

export interface S3Server {
  url: string;
  /** Where the server keeps its objects (tests that tamper with one). */
  directory: string;
  bucket: string;
  /** The variables a worker or CLI needs to use this server as its blob store. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A real S3-compatible server (s3rver, pinned devDependency) on a free loopback port with a temp
 * folder and one bucket, answering aiml's signed requests over real HTTP.
 */
export async function startS3Server(bucket = 'aiml-blobs'): Promise<S3Server> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    directory,
    bucket,
    env: { AIML_BLOB_STORE: 's3', AIML_S3_ENDPOINT: url, AIML_S3_BUCKET: bucket, AWS_ACCESS_KEY_ID: S3RVER_KEY, AWS_SECRET_ACCESS_KEY: S3RVER_KEY },
    async close() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
