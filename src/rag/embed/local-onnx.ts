import type { InferenceSession } from 'onnxruntime-node';
import { AimlError } from '../../errors';
import { ensureLocalModel, LOCAL_MODEL, type LocalModelFiles } from './model-install';
import { l2normalize, type EmbeddingProvider } from './provider';
import { WordPieceTokenizer } from './wordpiece';

/**
 * all-MiniLM-L6-v2 on onnxruntime's CPU backend: WordPiece → transformer → mean pooling over the
 * attention mask → L2 normalisation (the sentence-transformers recipe). Texts are embedded in
 * small batches padded to their longest member; the session is created on first use.
 */
export class LocalOnnxEmbedder implements EmbeddingProvider {
  readonly id = LOCAL_MODEL.id;
  readonly dims = LOCAL_MODEL.dims;
  private session?: Promise<{ session: InferenceSession; tokenizer: WordPieceTokenizer }>;

  constructor(
    private readonly opts: { files?: LocalModelFiles; maxTokens?: number; batchSize?: number; threads?: number } = {},
  ) {}

  private load() {
    this.session ??= (async () => {
      const files = this.opts.files ?? ensureLocalModel();
      const ort = await import('onnxruntime-node');
      const tokenizer = WordPieceTokenizer.fromTokenizerJson(files.tokenizer);
      try {
        const session = await ort.InferenceSession.create(files.onnx, {
          intraOpNumThreads: this.opts.threads ?? 0,
          graphOptimizationLevel: 'all',
        });
        return { session, tokenizer };
      } catch (err) {
        throw new AimlError('EMBED_MODEL_INVALID', `onnxruntime cannot load ${files.onnx}: ${(err as Error).message}`);
      }
    })();
    this.session.catch(() => (this.session = undefined));
    return this.session;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const { session, tokenizer } = await this.load();
    const ort = await import('onnxruntime-node');
    const maxTokens = this.opts.maxTokens ?? 256;
    const batchSize = this.opts.batchSize ?? 16;
    const encoded = texts.map((t) => tokenizer.encode(t, maxTokens).ids);
    // Similar lengths share a batch, so little padding is computed.
    const order = encoded.map((_, i) => i).sort((a, b) => encoded[a]!.length - encoded[b]!.length);
    const out = new Array<Float32Array>(texts.length);
    for (let b = 0; b < order.length; b += batchSize) {
      if (signal?.aborted) throw new AimlError('CANCELLED', 'Embedding was cancelled');
      const idx = order.slice(b, b + batchSize);
      const len = Math.max(...idx.map((i) => encoded[i]!.length));
      const n = idx.length;
      const ids = new BigInt64Array(n * len);
      const mask = new BigInt64Array(n * len);
      idx.forEach((i, row) => {
        encoded[i]!.forEach((id, col) => {
          ids[row * len + col] = BigInt(id);
          mask[row * len + col] = 1n;
        });
      });
      const result = await session.run({
        input_ids: new ort.Tensor('int64', ids, [n, len]),
        attention_mask: new ort.Tensor('int64', mask, [n, len]),
        token_type_ids: new ort.Tensor('int64', new BigInt64Array(n * len), [n, len]),
      });
      const hidden = result.last_hidden_state!.data as Float32Array;
      idx.forEach((i, row) => {
        const v = new Float32Array(this.dims);
        const count = encoded[i]!.length;
        for (let t = 0; t < count; t++) {
          const base = (row * len + t) * this.dims;
          for (let d = 0; d < this.dims; d++) v[d]! += hidden[base + d]!;
        }
        for (let d = 0; d < this.dims; d++) v[d] = v[d]! / count;
        out[i] = l2normalize(v);
      });
    }
    return out;
  }
}
