import os from 'node:os';
import { z } from 'zod';
import { AimlError } from './errors';
import { HOST_ID_PATTERN, routingFor, type RunRouting } from './contracts/routing';
import { parseEnv } from './config';

/**
 * Settings for many workers on many hosts: who this host is, how fast the shared queue may hand
 * out activities, and where blobs live (a local folder, or S3-compatible storage every worker
 * reaches). Read once at the edge, like config.ts; credentials stay in this process.
 */

const nonEmpty = z.string().trim().min(1);

const HostEnv = z.object({
  AIML_HOST_ID: z.string().regex(HOST_ID_PATTERN, 'letters, digits, ".", "-", "_" (at most 63), starting with a letter or digit').optional(),
  AIML_SHARED_ACTIVITIES_PER_SECOND: z.coerce.number().positive().optional(),
  AIML_SHARED_MAX_CONCURRENT: z.coerce.number().int().min(1).optional(),
});

const BlobEnv = z.object({
  AIML_BLOB_STORE: z.enum(['local', 's3']).default('local'),
  AIML_S3_ENDPOINT: z.string().url().optional(),
  AIML_S3_BUCKET: nonEmpty.optional(),
  AIML_S3_REGION: nonEmpty.default('us-east-1'),
  AIML_S3_PREFIX: z.string().regex(/^[A-Za-z0-9._/-]*$/, 'letters, digits, ".", "_", "-", "/"').default('aiml/blobs/'),
  AWS_ACCESS_KEY_ID: nonEmpty.optional(),
  AWS_SECRET_ACCESS_KEY: nonEmpty.optional(),
  AWS_SESSION_TOKEN: nonEmpty.optional(),
});

export interface HostConfig {
  hostId: string;
  /** Per-second limit on activities the shared queue hands out, across all its workers. */
  sharedActivitiesPerSecond?: number;
  /** Activities of the shared queue one worker runs at once. */
  sharedMaxConcurrent?: number;
}

/** The machine's name as a host id: characters a task queue name keeps, at most 63. */
export function defaultHostId(hostname = os.hostname()): string {
  const cleaned = hostname.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  return cleaned || 'localhost';
}

export function loadHostConfig(env: NodeJS.ProcessEnv = process.env): HostConfig {
  const e = parseEnv(HostEnv, env);
  return {
    hostId: e.AIML_HOST_ID ?? defaultHostId(),
    ...(e.AIML_SHARED_ACTIVITIES_PER_SECOND ? { sharedActivitiesPerSecond: e.AIML_SHARED_ACTIVITIES_PER_SECOND } : {}),
    ...(e.AIML_SHARED_MAX_CONCURRENT ? { sharedMaxConcurrent: e.AIML_SHARED_MAX_CONCURRENT } : {}),
  };
}

/** This host's routing for a run: its own queue and the shared one. */
export function hostRouting(sharedQueue: string, env: NodeJS.ProcessEnv = process.env): RunRouting {
  return routingFor(sharedQueue, loadHostConfig(env).hostId);
}

export interface S3Config {
  endpoint: string;
  bucket: string;
  region: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type BlobConfig = { kind: 'local' } | ({ kind: 's3' } & S3Config);

export function loadBlobConfig(env: NodeJS.ProcessEnv = process.env): BlobConfig {
  const e = parseEnv(BlobEnv, env);
  if (e.AIML_BLOB_STORE === 'local') return { kind: 'local' };
  const missing = (['AIML_S3_ENDPOINT', 'AIML_S3_BUCKET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const).find((k) => !e[k]);
  if (missing) throw new AimlError('CONFIG_INVALID', `Invalid ${missing}: AIML_BLOB_STORE=s3 needs it set`, { variable: missing });
  return {
    kind: 's3',
    endpoint: e.AIML_S3_ENDPOINT!.replace(/\/+$/, ''),
    bucket: e.AIML_S3_BUCKET!,
    region: e.AIML_S3_REGION,
    prefix: e.AIML_S3_PREFIX,
    accessKeyId: e.AWS_ACCESS_KEY_ID!,
    secretAccessKey: e.AWS_SECRET_ACCESS_KEY!,
    ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}),
  };
}
