import { Worker } from 'node:worker_threads';
import { AimlError } from '../../errors';
import { ensureLocalModel, selectedLocalModel, type LocalModelFiles, type LocalModelSpec } from './model-install';
import { l2normalize, type EmbeddingProvider } from './provider';
import { WordPieceTokenizer } from './wordpiece';

/**
 * The inference thread: owns the onnxruntime session, runs one padded batch of token ids at a time
 * and pools the last hidden state (mean over the attention mask, or the [CLS] token). Running it off the main thread
 * keeps an activity's heartbeats and cancellation flowing while the model computes (and keeps
 * onnxruntime's native typed arrays in a plain Node realm, whatever loads this module).
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const ready = ort.InferenceSession.create(workerData.onnx, { intraOpNumThreads: workerData.threads, graphOptimizationLevel: 'all' });
ready.catch(() => {});
parentPort.on('message', async ({ seq, batch }) => {
  try {
    const session = await ready;
    const n = batch.length, len = Math.max(...batch.map((b) => b.length)), dims = workerData.dims;
    const ids = new BigInt64Array(n * len), mask = new BigInt64Array(n * len);
    batch.forEach((row, r) => row.forEach((id, c) => { ids[r * len + c] = BigInt(id); mask[r * len + c] = 1n; }));
    const out = await session.run({
      input_ids: new ort.Tensor('int64', ids, [n, len]),
      attention_mask: new ort.Tensor('int64', mask, [n, len]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(n * len), [n, len]),
    });
    const hidden = out.last_hidden_state.data;
    const pooled = new Float32Array(n * dims);
    batch.forEach((row, r) => {
      if (workerData.pooling === 'cls') {
        for (let d = 0; d < dims; d++) pooled[r * dims + d] = hidden[r * len * dims + d];
        return;
      }
      for (let t = 0; t < row.length; t++) {
        const base = (r * len + t) * dims;
        for (let d = 0; d < dims; d++) pooled[r * dims + d] += hidden[base + d];
      }
      for (let d = 0; d < dims; d++) pooled[r * dims + d] /= row.length;
    });
    parentPort.postMessage({ seq, pooled }, [pooled.buffer]);
  } catch (err) {
    parentPort.postMessage({ seq, error: String(err && err.message || err) });
  }
});
`;

interface Pending {
  resolve: (v: Float32Array) => void;
  reject: (e: Error) => void;
}

/**
 * One inference thread per process and model file: onnxruntime's native addon cannot be loaded
 * again by a later thread, so the thread is shared by every embedder and never stopped (it is
 * unref'd while idle, so it keeps no process alive).
 */
class InferenceThread {
  private static readonly threads = new Map<string, InferenceThread>();
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private readonly worker: Worker;
  private dead?: Error;

  static for(onnx: string, dims: number, threads: number, pooling: LocalModelSpec['pooling']): InferenceThread {
    let t = InferenceThread.threads.get(onnx);
    if (!t || t.dead) InferenceThread.threads.set(onnx, (t = new InferenceThread(onnx, dims, threads, pooling)));
    return t;
  }

  private constructor(
    private readonly onnx: string,
    dims: number,
    threads: number,
    pooling: LocalModelSpec['pooling'],
  ) {
    this.worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { ortPath: require.resolve('onnxruntime-node'), onnx, dims, threads, pooling } });
    this.worker.unref();
    this.worker.on('message', (m: { seq: number; pooled?: Float32Array; error?: string }) => {
      const p = this.pending.get(m.seq);
      this.pending.delete(m.seq);
      if (!this.pending.size) this.worker.unref();
      if (m.error !== undefined) p?.reject(new AimlError('EMBED_MODEL_INVALID', `onnxruntime failed on ${onnx}: ${m.error}`));
      else p?.resolve(m.pooled!);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', () => this.fail(new Error('the embedding thread exited')));
  }

  private fail(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(new AimlError('EMBED_MODEL_INVALID', `Local embedding model ${this.onnx} failed: ${err.message}`));
    this.pending.clear();
  }

  run(batch: number[][]): Promise<Float32Array> {
    if (this.dead) return Promise.reject(new AimlError('EMBED_MODEL_INVALID', `Local embedding model failed: ${this.dead.message}`));
    const seq = ++this.seq;
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ seq, batch });
    });
  }
}

/**
 * A local BERT-family sentence encoder (all-MiniLM-L6-v2 by default) on onnxruntime's CPU backend:
 * WordPiece → transformer → pooling → L2 normalisation (the sentence-transformers recipe). With
 * batchSize > 1, texts of similar length share a batch, padded to its longest member.
 */
export class LocalOnnxEmbedder implements EmbeddingProvider {
  readonly id: string;
  readonly dims: number;
  private readonly model: LocalModelSpec;
  private loaded?: { thread: InferenceThread; tokenizer: WordPieceTokenizer };

  constructor(private readonly opts: { model?: LocalModelSpec; files?: LocalModelFiles; maxTokens?: number; batchSize?: number; threads?: number } = {}) {
    this.model = opts.model ?? selectedLocalModel();
    this.id = this.model.id;
    this.dims = this.model.dims;
  }

  private start(): { thread: InferenceThread; tokenizer: WordPieceTokenizer } {
    if (!this.loaded) {
      const files = this.opts.files ?? ensureLocalModel(process.env, () => {}, this.model);
      const thread = InferenceThread.for(files.onnx, this.dims, this.opts.threads ?? 0, this.model.pooling);
      this.loaded = { tokenizer: WordPieceTokenizer.fromTokenizerJson(files.tokenizer), thread };
    }
    return this.loaded;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const { thread, tokenizer } = this.start();
    const maxTokens = this.opts.maxTokens ?? 256;
    // One text per run by default: the int8 model quantises activations per batch, so a text's
    // vector would otherwise shift slightly with its batch-mates; on CPU batching gains little.
    const batchSize = this.opts.batchSize ?? 1;
    const encoded = texts.map((t) => tokenizer.encode(t, maxTokens).ids);
    // Similar lengths share a batch, so little padding is computed.
    const order = encoded.map((_, i) => i).sort((a, b) => encoded[a]!.length - encoded[b]!.length);
    const out = new Array<Float32Array>(texts.length);
    for (let b = 0; b < order.length; b += batchSize) {
      if (signal?.aborted) throw new AimlError('CANCELLED', 'Embedding was cancelled');
      const idx = order.slice(b, b + batchSize);
      const pooled = await thread.run(idx.map((i) => encoded[i]!));
      idx.forEach((i, row) => (out[i] = l2normalize(pooled.slice(row * this.dims, (row + 1) * this.dims))));
    }
    return out;
  }

}
