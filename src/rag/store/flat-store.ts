import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../../errors';
import type { ChunkFilter, ChunkMeta, ScoredId } from '../types';
import { encodeDelete, encodeUpsert, header, HEADER, ID_BYTES, OP_DELETE, readLog, replaceFile } from './flat-log';
import { exactSearch, shortlistSearch, type SlotView } from './flat-search';
import { Int8Scan } from './int8-scan';
import { withWriteLock } from './write-lock';
import type { StoredDoc, StoredPoint, VectorStore } from './types';


/**
 * The embedded store: every vector in one contiguous Float32Array (exact scores) and an int8 copy
 * scanned by a SIMD kernel (the first pass), the chunks' metadata in memory and their texts left
 * in the file, read when asked for. Persistence is an append-only log (flat-log.ts) replayed at
 * open; each write is fsynced and done under a lock file, so there is one writer at a time
 * across processes (a second gets KB_STORE_LOCKED) and readers catch up with `refresh`. When
 * dead records outnumber live ones the log is compacted through a temp file and a rename.
 */

interface DocRef {
  meta: ChunkMeta;
  textAt: number;
  textBytes: number;
  text?: string; // held only until a first-format log is rewritten
}

export class FlatStore implements VectorStore {
  readonly kind = 'embedded' as const;
  private vectors!: Float32Array;
  private quant?: Int8Scan; // the SIMD first pass; absent without WebAssembly SIMD
  private live!: Uint8Array; // 1 where a slot holds a point
  private ids: (string | undefined)[] = [];
  private docs: (DocRef | undefined)[] = [];
  private slotOf = new Map<string, number>();
  private free: number[] = [];
  private dead = 0;
  private readFd?: number;
  private validEnd = 0; // end of the last whole record
  private seen = { ino: 0, size: 0 }; // the file as this process last read or wrote it
  private closed = false;

  private constructor(
    readonly file: string,
    readonly dims: number,
  ) {}

  private get lockFile(): string {
    return `${this.file}.lock`;
  }

  /** Opens (or creates) the store in `dir`; `dims` must match what the store was created with. */
  static open(dir: string, dims: number): FlatStore {
    fs.mkdirSync(dir, { recursive: true });
    const store = new FlatStore(path.join(dir, 'vectors.log'), dims);
    store.load();
    return store;
  }

  private reset(): void {
    this.vectors = new Float32Array(this.dims * 1024);
    this.quant = Int8Scan.create(this.dims);
    this.live = new Uint8Array(1024);
    this.ids = [];
    this.docs = [];
    this.slotOf = new Map();
    this.free = [];
    this.dead = 0;
    this.closeReader();
  }

  private load(): void {
    this.reset();
    if (!fs.existsSync(this.file)) {
      withWriteLock(this.lockFile, this.file, () => {
        if (!fs.existsSync(this.file)) replaceFile(this.file, (fd) => fs.writeSync(fd, header(this.dims)));
      });
    }
    const read = readLog(this.file, this.dims, (r) => {
      if (r.op === OP_DELETE) this.remove(r.id);
      else this.put(r.id, r.vector!, { meta: r.meta!, textAt: r.textAt, textBytes: r.textBytes, text: r.text });
    });
    // A torn tail (a crash mid-write) is cut off before this process next writes, not here:
    // a reader must never shorten a file a writer may still be appending to.
    this.validEnd = read.end;
    this.seen = { ino: read.ino, size: read.size };
    if (read.version === 1) withWriteLock(this.lockFile, this.file, () => this.rewrite()); // into the current format
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
    this.load();
    return true;
  }

  private put(id: string, vector: Float32Array, doc: DocRef): void {
    let slot = this.slotOf.get(id);
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
      this.slotOf.set(id, slot);
    }
    this.vectors.set(vector, slot * this.dims);
    this.quant?.set(slot, vector);
    this.ids[slot] = id;
    this.docs[slot] = doc;
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

  /**
   * One write: under the lock, catch up with other writers, cut a torn tail, let `build` apply
   * the change in memory and give its records, append them and fsync; compact when due.
   */
  private write(build: () => { records: Buffer[]; after: (at: number) => void }): void {
    if (this.closed) throw new AimlError('KB_STORE_CLOSED', 'The vector store is closed');
    withWriteLock(this.lockFile, this.file, () => {
      this.refresh();
      const { records, after } = build();
      if (!records.length) return;
      if (this.validEnd < this.seen.size) fs.truncateSync(this.file, this.validEnd);
      const buf = Buffer.concat(records);
      const fd = fs.openSync(this.file, 'a');
      try {
        fs.writeSync(fd, buf);
        fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      after(this.validEnd);
      this.validEnd += buf.length;
      this.seen = { ino: fs.statSync(this.file).ino, size: this.validEnd };
      if (this.dead >= 1000 && this.dead >= this.slotOf.size) this.rewrite();
    });
  }

  async upsert(points: StoredPoint[]): Promise<void> {
    for (const p of points) {
      if (p.vector.length !== this.dims) {
        throw new AimlError('KB_MODEL_MISMATCH', `A ${p.vector.length}-d vector cannot go into a ${this.dims}-d store`);
      }
      if (p.id.length !== ID_BYTES) throw new AimlError('INPUT_INVALID', `Point id ${p.id} is not a UUID`);
    }
    this.write(() => {
      const records = points.map((p) => encodeUpsert(p.id, p.vector, p.meta, p.text));
      return {
        records,
        after: (at) => {
          for (const [i, p] of points.entries()) {
            const textBytes = Buffer.byteLength(p.text, 'utf8');
            const textAt = at + records[i]!.length - textBytes;
            this.put(p.id, p.vector, { meta: p.meta, textAt, textBytes });
            at += records[i]!.length;
          }
        },
      };
    });
  }

  async delete(ids: string[]): Promise<void> {
    this.write(() => {
      const gone = ids.filter((id) => this.slotOf.has(id));
      return { records: gone.map(encodeDelete), after: () => gone.forEach((id) => this.remove(id)) };
    });
  }

  async search(vector: Float32Array, k: number, filter?: ChunkFilter): Promise<ScoredId[]> {
    return this.searchSync(vector, k, filter);
  }

  /** Nearest first: the int8 SIMD first pass re-scored exactly, or (without SIMD) an exact scan. */
  searchSync(q: Float32Array, k: number, filter?: ChunkFilter): ScoredId[] {
    return this.quant ? shortlistSearch(this.scanView(), this.quant, q, k, filter) : exactSearch(this.scanView(), q, k, filter);
  }

  /** The exact scan over every live slot, the reference for the first pass. */
  exactSearch(q: Float32Array, k: number, filter?: ChunkFilter): ScoredId[] {
    return exactSearch(this.scanView(), q, k, filter);
  }

  private scanView(): SlotView {
    return { vectors: this.vectors, dims: this.dims, live: this.live, slots: this.ids.length, meta: (slot) => this.docs[slot]!.meta, id: (slot) => this.ids[slot]! };
  }

  /** Bytes of memory per stored chunk for its vectors (float32 for exact scores, int8 for the first pass). */
  get vectorBytesPerChunk(): number {
    return this.dims * 4 + (this.quant?.bytesPerSlot ?? 0);
  }

  async get(ids: string[]): Promise<StoredDoc[]> {
    return ids.flatMap((id) => {
      const slot = this.slotOf.get(id);
      return slot === undefined ? [] : [this.docAt(slot)];
    });
  }

  /** A chunk with its text, read from the log. */
  private docAt(slot: number): StoredDoc {
    const d = this.docs[slot]!;
    return { id: this.ids[slot]!, meta: d.meta, text: d.text ?? this.readText(d) };
  }

  private readText(d: DocRef): string {
    this.readFd ??= fs.openSync(this.file, 'r');
    const buf = Buffer.alloc(d.textBytes);
    fs.readSync(this.readFd, buf, 0, d.textBytes, d.textAt);
    return buf.toString('utf8');
  }

  private closeReader(): void {
    if (this.readFd !== undefined) fs.closeSync(this.readFd);
    this.readFd = undefined;
  }

  async *documents(): AsyncIterable<StoredDoc> {
    for (let slot = 0; slot < this.ids.length; slot++) if (this.live[slot]) yield this.docAt(slot);
  }

  async count(): Promise<number> {
    return this.slotOf.size;
  }

  /** Rewrites the log with live points only (the caller holds the lock), then reads texts from the new file. */
  private rewrite(): void {
    const moved: [number, number][] = [];
    replaceFile(this.file, (fd) => {
      let at = HEADER;
      fs.writeSync(fd, header(this.dims));
      for (const slot of this.slotOf.values()) {
        const doc = this.docAt(slot);
        const rec = encodeUpsert(doc.id, this.vectors.subarray(slot * this.dims, (slot + 1) * this.dims), doc.meta, doc.text);
        fs.writeSync(fd, rec);
        at += rec.length;
        moved.push([slot, at - Buffer.byteLength(doc.text, 'utf8')]);
      }
    });
    this.closeReader();
    for (const [slot, textAt] of moved) {
      const d = this.docs[slot]!;
      this.docs[slot] = { meta: d.meta, textAt, textBytes: d.textBytes || Buffer.byteLength(d.text ?? '', 'utf8') };
    }
    const st = fs.statSync(this.file);
    this.seen = { ino: st.ino, size: st.size };
    this.validEnd = st.size;
    this.dead = 0;
  }

  async drop(): Promise<void> {
    await this.close();
    fs.rmSync(this.file, { force: true });
  }

  async close(): Promise<void> {
    this.closeReader();
    this.closed = true;
  }
}
