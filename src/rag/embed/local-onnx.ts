import { spawn, type ChildProcess } from 'node:child_process';
import { AimlError } from '../../errors';
import { embedProcesses } from '../config';
import { ensureLocalModelAsync, selectedLocalModel, type LocalModelFiles, type LocalModelSpec } from './model-install';
import { l2normalize, type EmbeddingProvider } from './provider';
import { WordPieceTokenizer } from './wordpiece';

/** An inference process idle this long stops; the next batch starts another (in about a third of a second). */
const EMBED_IDLE_MS = 5 * 60_000;

/**
 * An inference process: owns one onnxruntime session (one intra-op thread), runs one padded batch
 * of token ids at a time and pools the last hidden state (mean over the attention mask, or the
 * [CLS] token). onnxruntime runs a session synchronously and its native addon loads into only one
 * thread per process, so using more than one core takes more than one process. It exits when its
 * parent goes (the IPC channel closes).
 */
const PROCESS_SOURCE = `
const ort = require(process.env.AIML_ORT_PATH);
const dims = Number(process.env.AIML_EMBED_DIMS), pooling = process.env.AIML_EMBED_POOLING;
const ready = ort.InferenceSession.create(process.env.AIML_EMBED_ONNX, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
ready.catch(() => {});
process.on('disconnect', () => process.exit(0));
process.on('message', async ({ seq, batch }) => {
  try {
    const session = await ready;
    const n = batch.length, len = Math.max(...batch.map((b) => b.length));
    const ids = new BigInt64Array(n * len), mask = new BigInt64Array(n * len);
    batch.forEach((row, r) => row.forEach((id, c) => { ids[r * len + c] = BigInt(id); mask[r * len + c] = 1n; }));
    const out = await session.run({
      input_ids: new ort.Tensor('int64', ids, [n, len]),
      attention_mask: new ort.Tensor('int64', mask, [n, len]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(n * len), [n, len]),
    });
    const hidden = (out.last_hidden_state ?? out[session.outputNames[0]]).data;
    const pooled = new Float32Array(n * dims);
    batch.forEach((row, r) => {
      if (pooling === 'cls') {
        for (let d = 0; d < dims; d++) pooled[r * dims + d] = hidden[r * len * dims + d];
        return;
      }
      for (let t = 0; t < row.length; t++) {
        const base = (r * len + t) * dims;
        for (let d = 0; d < dims; d++) pooled[r * dims + d] += hidden[base + d];
      }
      for (let d = 0; d < dims; d++) pooled[r * dims + d] /= row.length;
    });
    process.send({ seq, pooled });
  } catch (err) {
    process.send({ seq, error: String(err && err.message || err) });
  }
});
`;

interface Pending {
  resolve: (v: Float32Array) => void;
  reject: (e: Error) => void;
}

/** One inference process and the batches it has been sent. */
class InferenceProcess {
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private readonly child: ChildProcess;
  private reaper?: NodeJS.Timeout;
  dead?: Error;

  constructor(
    private readonly onnx: string,
    dims: number,
    pooling: LocalModelSpec['pooling'],
    private readonly idleMs: () => number, // the pool's current setting
  ) {
    const { NODE_OPTIONS: _drop, ...env } = process.env;
    this.child = spawn(process.execPath, ['-e', PROCESS_SOURCE], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced', // typed arrays cross as typed arrays
      env: { ...env, AIML_ORT_PATH: require.resolve('onnxruntime-node'), AIML_EMBED_ONNX: onnx, AIML_EMBED_DIMS: String(dims), AIML_EMBED_POOLING: pooling },
    });
    this.idle();
    this.child.on('message', (m: { seq: number; pooled?: Float32Array; error?: string }) => {
      const p = this.pending.get(m.seq);
      this.pending.delete(m.seq);
      if (!this.pending.size) this.idle();
      if (m.error !== undefined) p?.reject(new AimlError('EMBED_MODEL_INVALID', `onnxruntime failed on ${onnx}: ${m.error}`));
      else p?.resolve(m.pooled!);
    });
    this.child.on('error', (err) => this.fail(err));
    this.child.on('exit', (code, signal) => this.fail(new Error(`the embedding process exited (${signal ?? `code ${code}`})`)));
  }

  /** While nothing is pending the process keeps no parent alive, and after `idleMs` of that it stops (its memory back). */
  private idle(): void {
    this.child.unref();
    (this.child.channel as unknown as { unref?: () => void } | undefined)?.unref?.();
    clearTimeout(this.reaper);
    const ms = this.idleMs();
    this.reaper = setTimeout(() => {
      if (this.pending.size || this.dead) return;
      this.dead = new Error(`stopped after ${ms} ms idle`);
      this.child.kill('SIGTERM');
    }, ms).unref();
  }

  get load(): number {
    return this.pending.size;
  }

  private fail(err: Error): void {
    this.dead ??= err;
    // Retryable: the pool starts a new process for the next attempt.
    for (const p of this.pending.values()) p.reject(new AimlError('EMBED_PROCESS_DIED', `Local embedding model ${this.onnx}: ${err.message}`));
    this.pending.clear();
  }

  run(batch: number[][]): Promise<Float32Array> {
    if (this.dead) return Promise.reject(new AimlError('EMBED_PROCESS_DIED', `Local embedding model ${this.onnx}: ${this.dead.message}`));
    const seq = ++this.seq;
    clearTimeout(this.reaper);
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.child.ref();
      (this.child.channel as unknown as { ref?: () => void } | undefined)?.ref?.();
      this.child.send({ seq, batch }, (err) => {
        if (err) this.fail(err);
      });
    });
  }

  get pid(): number | undefined {
    return this.dead ? undefined : this.child.pid;
  }
}

/**
 * The inference processes of one model file, shared by every embedder in this process (each
 * holds the model in memory once). A process starts only when every running one is busy, so a
 * search that embeds one query starts one; a dead process is replaced on the next batch.
 */
class InferencePool {
  private static readonly pools = new Map<string, InferencePool>();
  private readonly procs: InferenceProcess[] = [];

  static for(onnx: string, dims: number, pooling: LocalModelSpec['pooling'], size: number, idleMs: number): InferencePool {
    let p = InferencePool.pools.get(onnx);
    if (!p) InferencePool.pools.set(onnx, (p = new InferencePool(onnx, dims, pooling)));
    p.size = Math.max(p.size, size);
    p.idleMs = idleMs;
    return p;
  }

  private size = 1;
  private idleMs = EMBED_IDLE_MS;

  private constructor(
    private readonly onnx: string,
    private readonly dims: number,
    private readonly pooling: LocalModelSpec['pooling'],
  ) {}

  run(batch: number[][]): Promise<Float32Array> {
    for (let i = this.procs.length - 1; i >= 0; i--) if (this.procs[i]!.dead) this.procs.splice(i, 1);
    let pick = this.procs.find((p) => p.load === 0);
    if (!pick && this.procs.length < this.size) this.procs.push((pick = new InferenceProcess(this.onnx, this.dims, this.pooling, () => this.idleMs)));
    pick ??= this.procs.reduce((a, b) => (b.load < a.load ? b : a));
    return pick.run(batch);
  }

  /** The process ids of the running inference processes, for every model. */
  static pids(): number[] {
    return [...InferencePool.pools.values()].flatMap((pool) => pool.procs.flatMap((p) => (p.pid ? [p.pid] : [])));
  }
}

export { embedProcesses };
export const localEmbedderPids = (): number[] => InferencePool.pids();

/**
 * A local BERT-family sentence encoder (all-MiniLM-L6-v2 by default) on onnxruntime's CPU backend:
 * WordPiece → transformer → pooling → L2 normalisation (the sentence-transformers recipe). With
 * batchSize > 1, texts of similar length share a batch, padded to its longest member.
 */
export class LocalOnnxEmbedder implements EmbeddingProvider {
  readonly id: string;
  readonly dims: number;
  readonly cacheKey: string;
  private readonly model: LocalModelSpec;
  private readonly maxTokens: number;
  private loaded?: { pool: InferencePool; tokenizer: WordPieceTokenizer };

  constructor(
    private readonly opts: { model?: LocalModelSpec; files?: LocalModelFiles; maxTokens?: number; batchSize?: number; processes?: number; idleMs?: number; log?: (line: string) => void } = {},
  ) {
    this.model = opts.model ?? selectedLocalModel();
    this.id = this.model.id;
    this.dims = this.model.dims;
    this.maxTokens = opts.maxTokens ?? this.model.maxTokens;
    // Vectors cached under the window they were made with (a text longer than it embeds differently
    // under another); 256 keeps the plain id, as every cache made before windows were named was made at 256.
    this.cacheKey = this.maxTokens === 256 ? this.id : `${this.id}@${this.maxTokens}`;
  }

  /** The model's files, installed once (Maven runs as a child process: the event loop goes on meanwhile). */
  private files?: Promise<LocalModelFiles>;

  private async start(): Promise<{ pool: InferencePool; tokenizer: WordPieceTokenizer }> {
    if (!this.loaded) {
      if (!this.files) {
        const files = this.opts.files ? Promise.resolve(this.opts.files) : ensureLocalModelAsync(process.env, this.opts.log ?? (() => {}), this.model);
        this.files = files;
        files.catch(() => this.files === files && (this.files = undefined)); // a failed install is tried again next time
      }
      const files = await this.files;
      this.loaded ??= { tokenizer: WordPieceTokenizer.fromTokenizerJson(files.tokenizer), pool: InferencePool.for(files.onnx, this.dims, this.model.pooling, this.opts.processes ?? embedProcesses(), this.opts.idleMs ?? EMBED_IDLE_MS) };
    }
    return this.loaded;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const { pool, tokenizer } = await this.start();
    // One text per run by default: the int8 model quantises activations per batch, so a text's
    // vector would otherwise shift slightly with its batch-mates; on CPU batching gains little.
    const batchSize = this.opts.batchSize ?? 1;
    const encoded = texts.map((t) => tokenizer.encode(t, this.maxTokens).ids);
    // Similar lengths share a batch, so little padding is computed.
    const order = encoded.map((_, i) => i).sort((a, b) => encoded[a]!.length - encoded[b]!.length);
    const out = new Array<Float32Array>(texts.length);
    // Batches go out as fast as the pool's processes take them; results land in input order.
    const batches: number[][] = [];
    for (let b = 0; b < order.length; b += batchSize) batches.push(order.slice(b, b + batchSize));
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < batches.length) {
        if (signal?.aborted) throw new AimlError('CANCELLED', 'Embedding was cancelled');
        const idx = batches[next++]!;
        const pooled = await pool.run(idx.map((i) => encoded[i]!));
        idx.forEach((i, row) => (out[i] = l2normalize(pooled.slice(row * this.dims, (row + 1) * this.dims))));
      }
    };
    await Promise.all(Array.from({ length: Math.min(batches.length, this.opts.processes ?? embedProcesses()) }, lane));
    return out;
  }

}
