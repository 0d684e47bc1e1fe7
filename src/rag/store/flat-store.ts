import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../../errors';
import { matchesFilter, type ChunkFilter, type ScoredId } from '../types';
import { Int8Scan } from './int8-scan';
import { TopK } from './topk';
import type { StoredDoc, StoredPoint, VectorStore } from './types';

/**
 * The embedded store: every vector in one contiguous Float32Array, searched by an exact scan
 * (at 100k × 384 that is well under the latency target, and recall is 1 by construction).
 * Persistence is an append-only log in one file — upsert and delete records, each length-
 * prefixed — replayed at open; a torn last record (a crash mid-write) is cut off. When dead
 * records outnumber live ones the log is rewritten through a temp file and a rename.
 */
const MAGIC = 'AIMLVEC1';
const HEADER = 12; // magic + u32 dims
const OP_UPSERT = 1;
const OP_DELETE = 2;
const ID_BYTES = 36;

/** How many first-pass candidates are re-scored exactly: enough that the int8 estimates' error never costs a true top-k hit. */
export function shortlist(k: number): number {
  return Math.max(1, 4 * k + 64);
}

export class FlatStore implements VectorStore {
  readonly kind = 'embedded' as const;
  private vectors: Float32Array;
  private quant?: Int8Scan; // the SIMD first pass; absent without WebAssembly SIMD
  private live = new Uint8Array(1024); // 1 where a slot holds a point
  private ids: (string | undefined)[] = [];
  private docs: (StoredDoc | undefined)[] = [];
  private slotOf = new Map<string, number>();
  private free: number[] = [];
  private dead = 0;
  private fd?: number;
  private validEnd = 0; // end of the last whole record
  private seen = { ino: 0, size: 0 }; // the file as this process last read or wrote it

  private constructor(
    readonly file: string,
    readonly dims: number,
  ) {
    this.vectors = new Float32Array(dims * 1024);
    this.quant = Int8Scan.create(dims);
  }

  /** Opens (or creates) the store in `dir`; `dims` must match what the store was created with. */
  static open(dir: string, dims: number): FlatStore {
    fs.mkdirSync(dir, { recursive: true });
    const store = new FlatStore(path.join(dir, 'vectors.log'), dims);
    store.load();
    return store;
  }

  private load(): void {
    if (!fs.existsSync(this.file)) {
      const header = Buffer.alloc(HEADER);
      header.write(MAGIC, 0, 'ascii');
      header.writeUInt32LE(this.dims, 8);
      fs.writeFileSync(this.file, header);
    }
    const buf = fs.readFileSync(this.file);
    if (buf.length < HEADER || buf.toString('ascii', 0, 8) !== MAGIC) {
      throw new AimlError('KB_STORE_CORRUPT', `${this.file} is not an aiml vector log`);
    }
    const dims = buf.readUInt32LE(8);
    if (dims !== this.dims) {
      throw new AimlError('KB_MODEL_MISMATCH', `${this.file} holds ${dims}-d vectors, but the embedding model gives ${this.dims}-d`);
    }
    let off = HEADER;
    while (off + 4 <= buf.length) {
      const len = buf.readUInt32LE(off);
      if (off + 4 + len > buf.length || len < 1 + ID_BYTES) break; // torn tail
      const op = buf[off + 4];
      const id = buf.toString('ascii', off + 5, off + 5 + ID_BYTES);
      if (op === OP_UPSERT) {
        const vecStart = off + 5 + ID_BYTES;
        const vec = new Float32Array(this.dims);
        new Uint8Array(vec.buffer).set(buf.subarray(vecStart, vecStart + this.dims * 4));
        const json = JSON.parse(buf.toString('utf8', vecStart + this.dims * 4, off + 4 + len)) as Omit<StoredDoc, 'id'>;
        this.put({ id, vector: vec, ...json });
      } else if (op === OP_DELETE) {
        this.remove(id);
      }
      off += 4 + len;
    }
    // A torn tail (a crash mid-write) is cut off before this process next appends, not here:
    // a reader must never shorten a file a writer may still be appending to.
    this.validEnd = off;
    this.seen = { ino: fs.statSync(this.file).ino, size: buf.length };
  }

  /** Whether another process has written the log since this one last read or wrote it. */
  changedOnDisk(): boolean {
    try {
      const st = fs.statSync(this.file);
      return st.ino !== this.seen.ino || st.size !== this.seen.size;
    } catch {
      return true;
    }
  }

  /** Re-reads the log when another process changed it (one writer at a time, many readers). */
  refresh(): boolean {
    if (!this.changedOnDisk()) return false;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.vectors = new Float32Array(this.dims * 1024);
    this.quant = Int8Scan.create(this.dims);
    this.live = new Uint8Array(1024);
    this.ids = [];
    this.docs = [];
    this.slotOf = new Map();
    this.free = [];
    this.dead = 0;
    this.load();
    return true;
  }

  private put(p: StoredPoint): void {
    let slot = this.slotOf.get(p.id);
    if (slot !== undefined) this.dead += 1;
    else {
      slot = this.free.pop() ?? this.ids.length;
      if ((slot + 1) * this.dims > this.vectors.length) {
        const grown = new Float32Array(this.vectors.length * 2);
        grown.set(this.vectors);
        this.vectors = grown;
      }
      if (slot >= this.live.length) {
        const grown = new Uint8Array(this.live.length * 2);
        grown.set(this.live);
        this.live = grown;
      }
      this.live[slot] = 1;
      this.slotOf.set(p.id, slot);
    }
    this.vectors.set(p.vector, slot * this.dims);
    this.quant?.set(slot, p.vector);
    this.ids[slot] = p.id;
    this.docs[slot] = { id: p.id, meta: p.meta, text: p.text };
  }

  private remove(id: string): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    this.slotOf.delete(id);
    this.ids[slot] = undefined;
    this.docs[slot] = undefined;
    this.live[slot] = 0;
    this.quant?.clear(slot);
    this.free.push(slot);
    this.dead += 2; // the upsert record and the delete record
    return true;
  }

  private append(records: Buffer[]): void {
    if (this.closed) throw new AimlError('KB_STORE_CLOSED', 'The vector store is closed');
    if (this.fd === undefined) {
      if (this.validEnd < this.seen.size) fs.truncateSync(this.file, this.validEnd);
      this.fd = fs.openSync(this.file, 'a');
      this.seen.size = this.validEnd;
    }
    const buf = Buffer.concat(records);
    fs.writeSync(this.fd, buf);
    this.validEnd += buf.length;
    this.seen.size += buf.length;
  }

  private encodeUpsert(doc: StoredDoc, vector: Float32Array): Buffer {
    const json = Buffer.from(JSON.stringify({ meta: doc.meta, text: doc.text }), 'utf8');
    const rec = Buffer.alloc(4 + 1 + ID_BYTES + this.dims * 4 + json.length);
    rec.writeUInt32LE(rec.length - 4, 0);
    rec[4] = OP_UPSERT;
    rec.write(doc.id, 5, 'ascii');
    Buffer.from(vector.buffer, vector.byteOffset, this.dims * 4).copy(rec, 5 + ID_BYTES);
    json.copy(rec, 5 + ID_BYTES + this.dims * 4);
    return rec;
  }

  async upsert(points: StoredPoint[]): Promise<void> {
    this.refresh();
    const records: Buffer[] = [];
    for (const p of points) {
      if (p.vector.length !== this.dims) {
        throw new AimlError('KB_MODEL_MISMATCH', `A ${p.vector.length}-d vector cannot go into a ${this.dims}-d store`);
      }
      if (p.id.length !== ID_BYTES) throw new AimlError('INPUT_INVALID', `Point id ${p.id} is not a UUID`);
      records.push(this.encodeUpsert(p, p.vector));
      this.put(p);
    }
    this.append(records);
    this.maybeCompact();
  }

  async delete(ids: string[]): Promise<void> {
    this.refresh();
    const records: Buffer[] = [];
    for (const id of ids) {
      if (!this.remove(id)) continue;
      const rec = Buffer.alloc(4 + 1 + ID_BYTES);
      rec.writeUInt32LE(1 + ID_BYTES, 0);
      rec[4] = OP_DELETE;
      rec.write(id, 5, 'ascii');
      records.push(rec);
    }
    if (records.length) this.append(records);
    this.maybeCompact();
  }

  async search(vector: Float32Array, k: number, filter?: ChunkFilter): Promise<ScoredId[]> {
    return this.searchSync(vector, k, filter);
  }

  /**
   * Nearest first. With the int8 copy: estimated scores for every live slot (SIMD), the best
   * `shortlist(k)` of them re-scored exactly; else an exact scan of the float vectors.
   */
  searchSync(q: Float32Array, k: number, filter?: ChunkFilter): ScoredId[] {
    if (!this.quant) return this.exactSearch(q, k, filter);
    const slots = this.ids.length;
    const { dots, inv } = this.quant.estimate(q, slots);
    const short = new TopK(shortlist(k));
    const live = this.live;
    let floor = -Infinity;
    for (let slot = 0; slot < slots; slot++) {
      if (live[slot] === 0) continue;
      const estimate = dots[slot]! * inv[slot]!;
      if (estimate <= floor) continue;
      if (filter && !matchesFilter(this.docs[slot]!.meta, filter)) continue;
      short.push(slot, estimate);
      floor = short.floor;
    }
    const top = new TopK(Math.max(1, k));
    for (const slot of short.slotsHeld()) top.push(slot, this.dot(slot, q));
    return top.sorted((slot) => this.ids[slot]!);
  }

  /** The exact scan: dot products over every live slot (vectors are unit length, so this is cosine). */
  exactSearch(q: Float32Array, k: number, filter?: ChunkFilter): ScoredId[] {
    const top = new TopK(Math.max(1, k));
    const slots = this.ids.length;
    let floor = -Infinity;
    for (let slot = 0; slot < slots; slot++) {
      if (this.live[slot] === 0) continue;
      if (filter && !matchesFilter(this.docs[slot]!.meta, filter)) continue;
      const score = this.dot(slot, q);
      if (score > floor) {
        top.push(slot, score);
        floor = top.floor;
      }
    }
    return top.sorted((slot) => this.ids[slot]!);
  }

  private dot(slot: number, q: Float32Array): number {
    const dims = this.dims;
    const dims4 = dims & ~3;
    const v = this.vectors;
    const base = slot * dims;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let d = 0;
    for (; d < dims4; d += 4) {
      const o = base + d;
      s0 += v[o]! * q[d]!;
      s1 += v[o + 1]! * q[d + 1]!;
      s2 += v[o + 2]! * q[d + 2]!;
      s3 += v[o + 3]! * q[d + 3]!;
    }
    for (; d < dims; d++) s0 += v[base + d]! * q[d]!;
    return s0 + s1 + s2 + s3;
  }

  /** Bytes of memory per stored chunk for its vectors (float32 for exact scores, int8 for the first pass). */
  get vectorBytesPerChunk(): number {
    return this.dims * 4 + (this.quant?.bytesPerSlot ?? 0);
  }

  async get(ids: string[]): Promise<StoredDoc[]> {
    return ids.flatMap((id) => {
      const slot = this.slotOf.get(id);
      return slot === undefined ? [] : [this.docs[slot]!];
    });
  }

  async *documents(): AsyncIterable<StoredDoc> {
    for (const d of this.docs) if (d) yield d;
  }

  async count(): Promise<number> {
    return this.slotOf.size;
  }

  /** Rewrites the log with live points only, when dead records outnumber them. */
  private maybeCompact(): void {
    if (this.dead < 1000 || this.dead < this.slotOf.size) return;
    const tmp = `${this.file}.compact-${process.pid}`;
    const fd = fs.openSync(tmp, 'w');
    try {
      const header = Buffer.alloc(HEADER);
      header.write(MAGIC, 0, 'ascii');
      header.writeUInt32LE(this.dims, 8);
      fs.writeSync(fd, header);
      for (const slot of this.slotOf.values()) {
        fs.writeSync(fd, this.encodeUpsert(this.docs[slot]!, this.vectors.subarray(slot * this.dims, (slot + 1) * this.dims)));
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, 'a');
    const st = fs.fstatSync(this.fd);
    this.seen = { ino: st.ino, size: st.size };
    this.validEnd = st.size;
    this.dead = 0;
  }

  async drop(): Promise<void> {
    await this.close();
    fs.rmSync(this.file, { force: true });
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.closed = true;
  }
}
