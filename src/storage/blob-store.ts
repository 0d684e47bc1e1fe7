import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../errors';
import { writeFileAtomic } from './files';
import { redactSecrets } from '../security/secrets';
import type { RemoteBlobs } from './s3-blobs';

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

/** Every `sha256:` reference in a text (activity arguments, a JSON blob). */
const REF_PATTERN = /sha256:[0-9a-f]{64}/g;
export function refsIn(text: string): string[] {
  return [...new Set(text.match(REF_PATTERN) ?? [])];
}

export class BlobStore {
  /** Written here, not yet copied to the remote store. */
  private readonly unsent = new Set<string>();

  /**
   * @param root the local folder: the whole store on one machine, this host's copy when `remote` is set
   * @param remote shared storage every worker reaches (S3-compatible); local writes are sent there by `flush()`
   */
  constructor(
    readonly root: string,
    readonly remote?: RemoteBlobs,
  ) {}

  /** For messages: where blobs live. */
  get where(): string {
    return this.remote ? `${this.remote.where} (cached in ${this.root})` : this.root;
  }

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
    if (this.remote) this.unsent.add(ref);
    if (fs.existsSync(file)) return ref;
    writeFileAtomic(file, text);
    return ref;
  }

  getBuffer(ref: string): Buffer {
    const file = this.file(ref);
    try {
      return fs.readFileSync(file);
    } catch {
      throw new AimlError('BLOB_MISSING', `Blob ${ref} is not in ${this.where}`);
    }
  }

  get(ref: string): string {
    return this.getBuffer(ref).toString('utf8');
  }

  has(ref: string): boolean {
    return fs.existsSync(this.file(ref));
  }

  /** Copies what this process wrote since the last flush to the remote store (a no-op without one). */
  async flush(): Promise<number> {
    if (!this.remote) return 0;
    const refs = [...this.unsent];
    await Promise.all(
      refs.map(async (ref) => {
        await this.remote!.put(ref.slice('sha256:'.length), this.getBuffer(ref));
        this.unsent.delete(ref);
      }),
    );
    return refs.length;
  }

  /**
   * Makes these blobs, and the blobs their texts refer to (a proposal's file snapshots, say), readable
   * here: missing ones come from the remote store, checked against their hash. Without a remote
   * store there is nothing to fetch.
   */
  async fetch(refs: Iterable<string>, depth = 3): Promise<void> {
    if (!this.remote) return;
    let wanted = [...new Set(refs)].filter((r) => /^sha256:[0-9a-f]{64}$/.test(r));
    for (let level = 0; level <= depth && wanted.length; level++) {
      const fetched = await Promise.all(wanted.filter((r) => !this.has(r)).map((r) => this.fetchOne(r)));
      wanted = fetched.flatMap((body) => (body.length <= 8 * 1024 * 1024 ? refsIn(body.toString('utf8')) : []));
    }
  }

  /** The text of a blob, fetched from the remote store when this host has no copy. */
  async load(ref: string): Promise<string> {
    await this.fetch([ref], 0);
    return this.get(ref);
  }

  private async fetchOne(ref: string): Promise<Buffer> {
    const body = await this.remote!.get(ref.slice('sha256:'.length));
    if (!body) throw new AimlError('BLOB_MISSING', `Blob ${ref} is in neither ${this.root} nor ${this.remote!.where}`);
    if (`sha256:${sha256(body)}` !== ref) throw new AimlError('BLOB_MISSING', `Blob ${ref} in ${this.remote!.where} does not match its hash`);
    writeFileAtomic(this.file(ref), body);
    return body;
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
