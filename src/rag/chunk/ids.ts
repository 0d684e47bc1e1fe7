import crypto from 'node:crypto';

export function sha256hex(text: string | Buffer): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** A UUID-shaped id from path and chunk hash (Qdrant accepts UUIDs), stable across runs and stores. */
export function chunkId(path: string, hash: string): string {
  const h = sha256hex(`${path}\u0000${hash}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
