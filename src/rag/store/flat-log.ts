import fs from 'node:fs';
import { writeFileAtomic } from '../../storage/files';
import { AimlError } from '../../errors';
import type { ChunkMeta } from '../types';

/**
 * The embedded store's file: a 12-byte header (magic, u32 dims), then length-prefixed records.
 *   upsert: u32 len | u8 1 | 36-byte id | dims × f32 | u32 meta length | meta JSON | text (UTF-8)
 *   delete: u32 len | u8 2 | 36-byte id
 * The text comes last so a reader can skip it: the store keeps its offset and reads it on demand.
 * A record cut short (a crash mid-write) ends the log. The first format (AIMLVEC1: meta and text
 * in one JSON) is read once and rewritten in this one.
 */
export const MAGIC = 'AIMLVEC2';
const MAGIC_V1 = 'AIMLVEC1';
export const HEADER = 12;
export const OP_UPSERT = 1;
export const OP_DELETE = 2;
export const ID_BYTES = 36;

export interface LogRecord {
  op: number;
  id: string;
  vector?: Float32Array;
  meta?: ChunkMeta;
  textAt: number; // file offset of the text
  textBytes: number;
  text?: string; // only from a first-format log
}

export function header(dims: number): Buffer {
  const h = Buffer.alloc(HEADER);
  h.write(MAGIC, 0, 'ascii');
  h.writeUInt32LE(dims, 8);
  return h;
}

export function encodeUpsert(id: string, vector: Float32Array, meta: ChunkMeta, text: string): Buffer {
  const metaBuf = Buffer.from(JSON.stringify(meta), 'utf8');
  const textBuf = Buffer.from(text, 'utf8');
  const vecBytes = vector.length * 4;
  const rec = Buffer.alloc(4 + 1 + ID_BYTES + vecBytes + 4 + metaBuf.length + textBuf.length);
  rec.writeUInt32LE(rec.length - 4, 0);
  rec[4] = OP_UPSERT;
  rec.write(id, 5, 'ascii');
  Buffer.from(vector.buffer, vector.byteOffset, vecBytes).copy(rec, 5 + ID_BYTES);
  rec.writeUInt32LE(metaBuf.length, 5 + ID_BYTES + vecBytes);
  metaBuf.copy(rec, 9 + ID_BYTES + vecBytes);
  textBuf.copy(rec, 9 + ID_BYTES + vecBytes + metaBuf.length);
  return rec;
}

/** Where an upsert record's text starts, relative to the record. */
export function textOffset(dims: number, metaBytes: number): number {
  return 9 + ID_BYTES + dims * 4 + metaBytes;
}

export function encodeDelete(id: string): Buffer {
  const rec = Buffer.alloc(4 + 1 + ID_BYTES);
  rec.writeUInt32LE(1 + ID_BYTES, 0);
  rec[4] = OP_DELETE;
  rec.write(id, 5, 'ascii');
  return rec;
}

/** Reads windows of a file on demand, so records are parsed without loading their texts. */
class Window {
  private buf = Buffer.alloc(0);
  private start = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** `n` bytes at `off` (fewer at the end of the file). */
  bytes(off: number, n: number): Buffer {
    if (off < this.start || off + n > this.start + this.buf.length) {
      const len = Math.min(Math.max(n, 4 << 20), this.size - off);
      this.buf = Buffer.alloc(Math.max(0, len));
      fs.readSync(this.fd, this.buf, 0, this.buf.length, off);
      this.start = off;
    }
    return this.buf.subarray(off - this.start, off - this.start + n);
  }
}

/**
 * Replays the log through `onRecord`; returns the end of the last whole record and the format
 * version found. Texts are not read (their offsets are given), except in a first-format log.
 */
export function readLog(file: string, dims: number, onRecord: (r: LogRecord) => void): { end: number; size: number; ino: number; version: 1 | 2 } {
  const fd = fs.openSync(file, 'r');
  try {
    const st = fs.fstatSync(fd);
    const w = new Window(fd, st.size);
    const head = w.bytes(0, HEADER);
    const magic = head.length === HEADER ? head.toString('ascii', 0, 8) : '';
    if (magic !== MAGIC && magic !== MAGIC_V1) throw new AimlError('KB_STORE_CORRUPT', `${file} is not an aiml vector log`);
    const fileDims = head.readUInt32LE(8);
    if (fileDims !== dims) throw new AimlError('KB_MODEL_MISMATCH', `${file} holds ${fileDims}-d vectors, but the embedding model gives ${dims}-d`);
    const version = magic === MAGIC ? 2 : 1;
    let off = HEADER;
    while (off + 4 <= st.size) {
      const len = w.bytes(off, 4).readUInt32LE(0);
      const end = off + 4 + len;
      if (end > st.size || len < 1 + ID_BYTES) break; // torn tail
      const fixed = w.bytes(off, Math.min(len + 4, 9 + ID_BYTES + dims * 4));
      const op = fixed[4]!;
      const id = fixed.toString('ascii', 5, 5 + ID_BYTES);
      if (op === OP_UPSERT) {
        const vector = new Float32Array(dims);
        new Uint8Array(vector.buffer).set(fixed.subarray(5 + ID_BYTES, 5 + ID_BYTES + dims * 4));
        if (version === 1) {
          const json = JSON.parse(w.bytes(off + 5 + ID_BYTES + dims * 4, end - off - 5 - ID_BYTES - dims * 4).toString('utf8')) as { meta: ChunkMeta; text: string };
          onRecord({ op, id, vector, meta: json.meta, text: json.text, textAt: 0, textBytes: 0 });
        } else {
          const metaBytes = fixed.readUInt32LE(5 + ID_BYTES + dims * 4);
          const meta = JSON.parse(w.bytes(off + 9 + ID_BYTES + dims * 4, metaBytes).toString('utf8')) as ChunkMeta;
          const textAt = off + textOffset(dims, metaBytes);
          onRecord({ op, id, vector, meta, textAt, textBytes: end - textAt });
        }
      } else if (op === OP_DELETE) {
        onRecord({ op, id, textAt: 0, textBytes: 0 });
      }
      off = end;
    }
    return { end: off, size: st.size, ino: st.ino, version };
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `buf` to `file` through a temp file, fsynced, renamed over it, the folder fsynced. */
export function replaceFile(file: string, write: (fd: number) => void): void {
  writeFileAtomic(file, write, { fsync: true });
  syncDir(file);
}

export function syncDir(file: string): void {
  const dirFd = fs.openSync(file.slice(0, file.lastIndexOf('/')) || '.', 'r');
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}
