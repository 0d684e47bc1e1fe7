/**
 * A WebAssembly SIMD kernel for the embedded store's first pass: dot products of one int16 query
 * with n int8 vectors, 16 dimensions per step (i8 → i16 widening, then i32x4.dot_i16x8_s).
 * The module is small enough to assemble here, byte by byte, rather than ship as a binary:
 *
 *   scan(vec, n, stride, q, out): for i < n: out[i] = Σ_d vec[i·stride + d] · q[d]
 *
 * `stride` is the padded dimension count (a multiple of 16); memory is imported, so the caller
 * owns its layout and growth. Undefined where the runtime has no WebAssembly SIMD.
 */
const I32 = 0x7f;
const V128 = 0x7b;
const simd = (op: number, ...imm: number[]) => [0xfd, ...leb(op), ...imm];
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32const = (v: number) => [0x41, ...leb(v)];

function leb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

function name(s: string): number[] {
  return [s.length, ...Buffer.from(s, 'ascii')];
}

// Locals: 0 vec, 1 n, 2 stride, 3 q, 4 out (params); 5 i, 6 p, 7 qp, 8 end; 9 acc, 10 v.
const [VEC, N, STRIDE, Q, OUT, I, P, QP, END, ACC, V] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const LOAD = (offset: number) => simd(0x00, 4, ...leb(offset)); // v128.load align=16
const EXTEND_LOW = simd(0x87); // i16x8.extend_low_i8x16_s
const EXTEND_HIGH = simd(0x88); // i16x8.extend_high_i8x16_s
const DOT = simd(0xba); // i32x4.dot_i16x8_s
const ADD4 = simd(0xae); // i32x4.add
const lane = (l: number) => simd(0x1b, l); // i32x4.extract_lane

const body = [
  ...[0x02, 0x04, I32, 0x02, V128], // locals: 4 × i32, 2 × v128
  ...get(VEC), ...set(P),
  ...[0x02, 0x40], // block
  ...get(N), 0x45, 0x0d, 0x00, // n == 0: done
  ...[0x03, 0x40], // loop over vectors
  ...get(P), ...get(STRIDE), 0x6a, ...set(END),
  ...get(Q), ...set(QP),
  ...simd(0x0c, ...new Array<number>(16).fill(0)), ...set(ACC),
  ...[0x03, 0x40], // loop over 16-dimension steps
  ...get(P), ...LOAD(0), ...set(V),
  ...get(ACC),
  ...get(V), ...EXTEND_LOW, ...get(QP), ...LOAD(0), ...DOT, ...ADD4,
  ...get(V), ...EXTEND_HIGH, ...get(QP), ...LOAD(16), ...DOT, ...ADD4,
  ...set(ACC),
  ...get(QP), ...i32const(32), 0x6a, ...set(QP),
  ...get(P), ...i32const(16), 0x6a, ...tee(P),
  ...get(END), 0x49, 0x0d, 0x00, // p < end: next step
  0x0b,
  ...get(OUT),
  ...get(ACC), ...lane(0), ...get(ACC), ...lane(1), 0x6a, ...get(ACC), ...lane(2), 0x6a, ...get(ACC), ...lane(3), 0x6a,
  0x36, 0x02, 0x00, // i32.store
  ...get(OUT), ...i32const(4), 0x6a, ...set(OUT),
  ...get(I), ...i32const(1), 0x6a, ...tee(I),
  ...get(N), 0x49, 0x0d, 0x00, // i < n: next vector
  0x0b,
  0x0b, // block
  0x0b, // function
];

export const KERNEL_WASM = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]),
  ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, 0x01]),
  ...section(3, [1, 0]),
  ...section(7, [1, ...name('scan'), 0x00, 0]),
  ...section(10, [1, ...leb(body.length), ...body]),
]);

export type ScanFn = (vec: number, n: number, stride: number, q: number, out: number) => void;

/** The little of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** A one-page WebAssembly memory and the kernel over it, or undefined without WebAssembly SIMD. */
export function int8Kernel(): { memory: WasmMemory; scan: ScanFn } | undefined {
  if (!wasm?.validate(KERNEL_WASM)) return undefined;
  const memory = new wasm.Memory({ initial: 1 });
  const instance = new wasm.Instance(new wasm.Module(KERNEL_WASM), { env: { mem: memory } });
  return { memory, scan: instance.exports.scan as ScanFn };
}
