import fs from 'node:fs';
import path from 'node:path';
import { sha256hex } from '../chunk/ids';
import type { EmbeddingProvider } from './provider';

/**
 * Vectors cached by (model id, sha256 of the text): one append-only file per model, records of
 * 32 hash bytes + the vector. Re-ingesting moved, copied or reverted text costs no model call.
 * Garbage-collected as a least-recently-used cache: at most `maxEntries` are kept; once the file
 * holds twice that many records it is rewritten (temp file, fsync, rename) with the most
 * recently used entries only.
 */
export const DEFAULT_CACHE_ENTRIES = 100_000;
/** Another model's (or embedding window's) cache file not opened for this long is deleted. */
export const UNUSED_CACHE_MS = 30 * 24 * 3600 * 1000;
/** A collection's temp file this old was left by a process that died mid-rewrite. */
const STALE_TEMP_MS = 3600 * 1000;

export class EmbeddingCache {
  private readonly vectors = new Map<string, Float32Array>(); // in order of last use, oldest first
  private fd?: number;
  private loaded = false;
  private records = 0; // records in the file, live or not

  constructor(
    readonly dir: string,
    readonly modelId: string,
    readonly dims: number,
    readonly maxEntries = DEFAULT_CACHE_ENTRIES,
  ) {}

  get file(): string {
    return path.join(this.dir, `${this.modelId.replace(/[^A-Za-z0-9._-]+/g, '_')}-${this.dims}.bin`);
  }

  get size(): number {
    this.load();
    return this.vectors.size;
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    fs.mkdirSync(this.dir, { recursive: true });
    const rec = 32 + this.dims * 4;
    if (fs.existsSync(this.file)) {
      const buf = fs.readFileSync(this.file);
      const whole = buf.length - (buf.length % rec);
      for (let off = 0; off < whole; off += rec) {
        const v = new Float32Array(this.dims);
        new Uint8Array(v.buffer).set(buf.subarray(off + 32, off + rec));
        const key = buf.toString('hex', off, off + 32);
        this.vectors.delete(key);
        this.vectors.set(key, v);
      }
      this.records = whole / rec;
      if (whole !== buf.length) fs.truncateSync(this.file, whole); // a torn record from a crash
    }
    this.fd = fs.openSync(this.file, 'a');
    const now = new Date();
    fs.utimesSync(this.file, now, now); // opened: in use, whatever it is asked for
    this.collectIfDue();
    removeUnused(this.dir, this.file, now.getTime());
  }

  get(text: string): Float32Array | undefined {
    this.load();
    const key = sha256hex(text);
    const v = this.vectors.get(key);
    if (v) {
      this.vectors.delete(key); // now the most recently used
      this.vectors.set(key, v);
    }
    return v;
  }

  putMany(entries: { text: string; vector: Float32Array }[]): void {
    this.load();
    const bufs: Buffer[] = [];
    for (const { text, vector } of entries) {
      const key = sha256hex(text);
      if (this.vectors.has(key)) continue;
      this.vectors.set(key, vector);
      bufs.push(Buffer.from(key, 'hex'), Buffer.from(vector.buffer, vector.byteOffset, this.dims * 4));
    }
    if (!bufs.length) return;
    fs.writeSync(this.fd!, Buffer.concat(bufs));
    this.records += bufs.length / 2;
    this.collectIfDue();
  }

  private collectIfDue(): void {
    if (this.records > 2 * this.maxEntries) this.collect();
  }

  /** Keeps the `maxEntries` most recently used vectors, in a rewritten file. */
  collect(): void {
    this.load();
    for (const key of this.vectors.keys()) {
      if (this.vectors.size <= this.maxEntries) break;
      this.vectors.delete(key);
    }
    const tmp = `${this.file}.gc-${process.pid}`;
    const fd = fs.openSync(tmp, 'w');
    try {
      for (const [key, v] of this.vectors) fs.writeSync(fd, Buffer.concat([Buffer.from(key, 'hex'), Buffer.from(v.buffer, v.byteOffset, this.dims * 4)]));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, 'a');
    this.records = this.vectors.size;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.loaded = false;
    this.records = 0;
    this.vectors.clear();
  }
}

/**
 * Deletes cache files no model has opened in `UNUSED_CACHE_MS` (a model or embedding window no
 * longer configured) and temp files of collections that never finished. Best effort: a file
 * another process removes first is not an error.
 */
function removeUnused(dir: string, keep: string, now: number): void {
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (file === keep) continue;
    const maxAge = /\.bin$/.test(name) ? UNUSED_CACHE_MS : /\.bin\.gc-\d+$/.test(name) ? STALE_TEMP_MS : undefined;
    if (maxAge === undefined) continue;
    try {
      if (now - fs.statSync(file).mtimeMs > maxAge) fs.rmSync(file, { force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/** Embeds what the cache lacks, and says how many came from it. */
export async function embedCached(
  provider: EmbeddingProvider,
  cache: EmbeddingCache,
  texts: string[],
  signal?: AbortSignal,
): Promise<{ vectors: Float32Array[]; cached: number }> {
  const vectors: (Float32Array | undefined)[] = texts.map((t) => cache.get(t));
  const missing = [...new Set(texts.filter((_, i) => !vectors[i]))]; // each distinct text embedded once
  let sent = 0;
  if (missing.length) {
    const fresh = await provider.embed(missing, signal);
    const byText = new Map(missing.map((t, j) => [t, fresh[j]!]));
    texts.forEach((t, i) => (vectors[i] ??= byText.get(t)));
    cache.putMany(missing.map((text, j) => ({ text, vector: fresh[j]! })));
    sent = missing.length;
  }
  return { vectors: vectors as Float32Array[], cached: texts.length - sent };
}
