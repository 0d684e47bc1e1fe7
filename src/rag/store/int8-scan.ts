import { int8Kernel, type ScanFn, type WasmMemory } from './int8-kernel';

/**
 * An int8 copy of the store's vectors for a fast first pass: each vector scaled so its largest
 * component is ±127 (its scale kept), the query as int16, their dot products computed by the
 * SIMD kernel over WebAssembly memory laid out as [query | vectors | scores]. The estimates are
 * within a fraction of a percent of the true cosines, so the true top k lies in a short list that
 * the store then re-scores exactly. A quarter of the float vectors' memory.
 */
const PAGE = 65536;

export class Int8Scan {
  readonly stride: number; // dims padded to a multiple of 16
  private readonly queryBytes: number;
  private capacity = 0;
  /** 1 / scale of each slot's int8 vector (0 for an empty slot). */
  private inv = new Float32Array(0);
  private readonly qScaleMax: number;

  private constructor(
    readonly dims: number,
    private readonly memory: WasmMemory,
    private readonly scan: ScanFn,
  ) {
    this.stride = Math.ceil(dims / 16) * 16;
    this.queryBytes = this.stride * 2;
    // Keep every sum inside int32: |Σ v·q| ≤ stride · 127 · qmax.
    this.qScaleMax = Math.min(32767, Math.floor(2 ** 31 / (this.stride * 127)) - 1);
    this.reserve(1024);
  }

  /** Undefined when the runtime has no WebAssembly SIMD (the store then scans exactly). */
  static create(dims: number): Int8Scan | undefined {
    const kernel = int8Kernel();
    return kernel && new Int8Scan(dims, kernel.memory, kernel.scan);
  }

  private get vectorsAt(): number {
    return this.queryBytes;
  }

  private get scoresAt(): number {
    return this.vectorsAt + this.capacity * this.stride;
  }

  /** Makes room for `slots` vectors (the scores area after them moves; vectors stay put). */
  reserve(slots: number): void {
    if (slots <= this.capacity) return;
    let cap = Math.max(this.capacity, 1024);
    while (cap < slots) cap *= 2;
    const need = this.queryBytes + cap * this.stride + cap * 4;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / PAGE));
    this.capacity = cap;
    const inv = new Float32Array(cap);
    inv.set(this.inv);
    this.inv = inv;
  }

  set(slot: number, v: Float32Array): void {
    this.reserve(slot + 1);
    let max = 0;
    for (let d = 0; d < this.dims; d++) max = Math.max(max, Math.abs(v[d]!));
    const row = new Int8Array(this.memory.buffer, this.vectorsAt + slot * this.stride, this.stride);
    if (max === 0) {
      row.fill(0);
      this.inv[slot] = 0;
      return;
    }
    const scale = 127 / max;
    for (let d = 0; d < this.dims; d++) row[d] = Math.round(v[d]! * scale);
    this.inv[slot] = 1 / scale;
  }

  clear(slot: number): void {
    new Int8Array(this.memory.buffer, this.vectorsAt + slot * this.stride, this.stride).fill(0);
    this.inv[slot] = 0;
  }

  /** Estimated cosines of slots [0, n) with `q`, in a view valid until the next call. */
  estimate(q: Float32Array, n: number): { dots: Int32Array; inv: Float32Array; qInv: number } {
    let max = 0;
    for (let d = 0; d < this.dims; d++) max = Math.max(max, Math.abs(q[d]!));
    const scale = max === 0 ? 1 : this.qScaleMax / max;
    const qi = new Int16Array(this.memory.buffer, 0, this.stride);
    qi.fill(0);
    for (let d = 0; d < this.dims; d++) qi[d] = Math.round(q[d]! * scale);
    this.scan(this.vectorsAt, n, this.stride, 0, this.scoresAt);
    return { dots: new Int32Array(this.memory.buffer, this.scoresAt, n), inv: this.inv, qInv: 1 / scale };
  }

  /** Bytes held per slot: the int8 row and its scale. */
  get bytesPerSlot(): number {
    return this.stride + 4 + 4;
  }
}
