import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../errors';
import { writeFileAtomic } from './files';
import { redactSecrets } from '../security/secrets';

/**
 * Content-addressed text storage under the state folder. Workflows pass `sha256:<hex>` refs
 * instead of large texts, so histories stay small. Writes are atomic (temp file + rename) and
 * idempotent (the same text is the same file). Text is stored with credentials redacted (the
 * last line of defence: callers redact what they gather first); only snapshots of workspace
 * files, which a revert must restore byte for byte, are stored exactly (`putExact`).
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

  /** Stores text with credentials redacted (JSON stays valid JSON); a Buffer is stored as it is. */
  put(text: string | Buffer): BlobRef {
    return this.putExact(typeof text === 'string' ? redactText(text) : text);
  }

  /** Stores exactly these bytes: workspace file snapshots for apply and revert. */
  putExact(text: string | Buffer): BlobRef {
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

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Redacts a text; a JSON document whose redaction would no longer parse is redacted string by string. */
function redactText(text: string): string {
  const whole = redactSecrets(text, 'blob');
  if (!whole.redactions.length || !/^\s*[[{]/.test(text) || parses(whole.text) || !parses(text)) return whole.text;
  return JSON.stringify(JSON.parse(text), (_key, value: unknown) => (typeof value === 'string' ? redactSecrets(value, 'blob').text : value));
}
