import OpenAI from 'openai';
import { AimlError } from '../../errors';
import { classifyLlmError } from '../../llm/errors';
import { l2normalize, type EmbeddingProvider } from './provider';

export interface OpenAiEmbedderConfig {
  baseURL?: string;
  apiKey: string;
  model: string;
  /** Vector size; learned from the first answer when not given. */
  dims?: number;
  batchSize?: number;
  timeoutMs?: number;
}

/**
 * An OpenAI-compatible `/embeddings` endpoint (OpenAI, Azure, Ollama, vLLM, llama.cpp …). SDK
 * retries are off: Temporal's retry policy owns them. The id names the model and the endpoint's
 * host, so vectors from two servers that share a model name are never mixed silently.
 */
export class OpenAiEmbedder implements EmbeddingProvider {
  readonly id: string;
  private readonly client: OpenAI;
  private knownDims?: number;

  constructor(private readonly config: OpenAiEmbedderConfig) {
    this.client = new OpenAI({ apiKey: config.apiKey, baseURL: config.baseURL, maxRetries: 0, timeout: config.timeoutMs ?? 60_000 });
    this.id = `openai:${config.model}`;
    this.knownDims = config.dims;
  }

  get dims(): number {
    if (this.knownDims === undefined) throw new AimlError('EMBED_DIMS_UNKNOWN', `The vector size of ${this.id} is not known before its first answer`);
    return this.knownDims;
  }

  /** Embeds a probe text when the vector size is not known yet. */
  async ready(): Promise<this> {
    if (this.knownDims === undefined) await this.embed(['dimension probe']);
    return this;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const size = this.config.batchSize ?? 64;
    for (let i = 0; i < texts.length; i += size) {
      let data: { embedding: number[]; index: number }[];
      try {
        const res = await this.client.embeddings.create(
          { model: this.config.model, input: texts.slice(i, i + size), encoding_format: 'float' },
          { signal },
        );
        data = res.data as { embedding: number[]; index: number }[];
      } catch (err) {
        throw classifyLlmError(err, this.config.baseURL);
      }
      for (const d of [...data].sort((a, b) => a.index - b.index)) {
        const v = l2normalize(Float32Array.from(d.embedding));
        if (this.knownDims === undefined) this.knownDims = v.length;
        if (v.length !== this.knownDims) {
          throw new AimlError('KB_MODEL_MISMATCH', `${this.id} returned a ${v.length}-d vector, expected ${this.knownDims}-d`);
        }
        out.push(v);
      }
    }
    return out;
  }
}
