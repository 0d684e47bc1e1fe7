import crypto from 'node:crypto';
import { AwsClient } from 'aws4fetch';
import type { S3Config } from '../config-hosts';
import { AimlError } from '../errors';

/** Where a blob store keeps its copies other hosts can read; keys are the blobs' sha256 hex. */
export interface RemoteBlobs {
  /** For messages: where the blobs are (never the credentials). */
  readonly where: string;
  put(key: string, body: Buffer): Promise<void>;
  /** The bytes, or null when the object does not exist. */
  get(key: string): Promise<Buffer | null>;
}

const TIMEOUT_MS = 30_000;

/**
 * Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2 …), path-style URLs, SigV4-signed
 * requests with the body's sha256 (the server checks it), no SDK. Objects are immutable: a key is
 * the content's hash, so a PUT of an existing key writes the same bytes.
 */
export class S3Blobs implements RemoteBlobs {
  private readonly aws: AwsClient;
  readonly where: string;

  constructor(private readonly cfg: S3Config) {
    this.aws = new AwsClient({
      accessKeyId: cfg.accessKeyId,
      secretAccessKey: cfg.secretAccessKey,
      ...(cfg.sessionToken ? { sessionToken: cfg.sessionToken } : {}),
      service: 's3',
      region: cfg.region,
      retries: 0,
    });
    this.where = `s3 ${cfg.endpoint}/${cfg.bucket}/${cfg.prefix}`;
  }

  private url(key: string): string {
    return `${this.cfg.endpoint}/${encodeURIComponent(this.cfg.bucket)}/${this.cfg.prefix}${key}`;
  }

  private async send(method: 'GET' | 'PUT', key: string, body?: Buffer): Promise<Response> {
    const hash = crypto.createHash('sha256').update(body ?? '').digest('hex');
    try {
      return await this.aws.fetch(this.url(key), {
        method,
        headers: { 'x-amz-content-sha256': hash, ...(body ? { 'content-type': 'application/octet-stream' } : {}) },
        ...(body ? { body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) } : {}),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new AimlError('BLOB_STORE_UNREACHABLE', `Blob store ${this.where} did not answer a ${method}: ${(err as Error).message}`);
    }
  }

  async put(key: string, body: Buffer): Promise<void> {
    const res = await this.send('PUT', key, body);
    if (!res.ok) throw await failure(res, `PUT ${key}`, this.where);
  }

  async get(key: string): Promise<Buffer | null> {
    const res = await this.send('GET', key);
    if (res.status === 404) return null;
    if (!res.ok) throw await failure(res, `GET ${key}`, this.where);
    return Buffer.from(await res.arrayBuffer());
  }
}

async function failure(res: Response, what: string, where: string): Promise<AimlError> {
  const text = (await res.text().catch(() => '')).slice(0, 300);
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
  // 401/403 and a missing bucket need a person; anything else (5xx, throttling) may pass on retry.
  const permanent = res.status === 401 || res.status === 403 || code === 'NoSuchBucket';
  return new AimlError(permanent ? 'BLOB_STORE_REFUSED' : 'BLOB_STORE_UNREACHABLE', `Blob store ${where}: ${what} answered ${res.status}${code ? ` ${code}` : ''}`);
}
