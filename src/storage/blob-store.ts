import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../errors';
import { writeFileAtomic } from './files';

/**
 * Content-addressed text storage under the state folder. Workflows pass `sha256:<hex>` refs
 * instead of large texts, so histories stay small. Writes are atomic (temp file + rename) and
 * idempotent (the same text is the same file).
 */
export type BlobRef = `sha256:${string}`;

export function sha256(text: string | Buffer): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

export class BlobStore {
  constructor(readonly root: string) {}

  private file(ref: string): string {
    const m = /^sha256:([0-9a-f]{64})$/.exec(ref);
    if (!m) throw new AimlError('BLOB_REF_INVALID', `Not a blob reference: ${ref}`);
    const hex = m[1]!;
    return path.join(this.root, hex.slice(0, 2), hex.slice(2));
  }

  put(text: string | Buffer): BlobRef {
    const ref: BlobRef = `sha256:${sha256(text)}`;
    const file = this.file(ref);
    if (fs.existsSync(file)) return ref;
    writeFileAtomic(file, text);
    return ref;
  }

  getBuffer(ref: string): Buffer {
    const file = this.file(ref);
    try {
      return fs.readFileSync(file);
    } catch {
      throw new AimlError('BLOB_MISSING', `Blob ${ref} is not in ${this.root}`);
    }
  }

  get(ref: string): string {
    return this.getBuffer(ref).toString('utf8');
  }

  has(ref: string): boolean {
    return fs.existsSync(this.file(ref));
  }
}
