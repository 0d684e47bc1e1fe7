import fs from 'node:fs';
import path from 'node:path';
import { sha256hex } from '../chunk/ids';
import type { EmbeddingProvider } from './provider';

/**
 * Vectors cached by (model id, sha256 of the text): one append-only file per model, records of
 * 32 hash bytes + the vector. Re-ingesting moved, copied or reverted text costs no model call.
 */
export class EmbeddingCache {
  private readonly vectors = new Map<string, Float32Array>();
  private fd?: number;
  private loaded = false;

  constructor(
    readonly dir: string,
    readonly modelId: string,
    readonly dims: number,
  ) {}

  private get file(): string {
    return path.join(this.dir, `${this.modelId.replace(/[^A-Za-z0-9._-]+/g, '_')}-${this.dims}.bin`);
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
        this.vectors.set(buf.toString('hex', off, off + 32), v);
      }
      if (whole !== buf.length) fs.truncateSync(this.file, whole); // a torn record from a crash
    }
    this.fd = fs.openSync(this.file, 'a');
  }

  get(text: string): Float32Array | undefined {
    this.load();
    return this.vectors.get(sha256hex(text));
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
    if (bufs.length) fs.writeSync(this.fd!, Buffer.concat(bufs));
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.loaded = false;
    this.vectors.clear();
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
