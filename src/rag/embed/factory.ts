import { AimlError } from '../../errors';
import type { RagConfig } from '../config';
import { LocalOnnxEmbedder } from './local-onnx';
import { DEFAULT_LOCAL_MODEL, LOCAL_MODEL, LOCAL_MODEL_NAMES, LOCAL_MODELS } from './model-install';
import { OpenAiEmbedder } from './openai-embedder';
import type { EmbeddingProvider } from './provider';
import { StaticEmbedder, STATIC_MODEL_ID } from './static-model';

/** Makes embedders: the one the retrieval settings name, and any local model by its id. */

/** How local models run in this process: inference processes, window, where a one-time install (Maven) or distillation is said. */
export interface LocalEmbedOptions {
  processes?: number;
  maxTokens?: number;
  log?: (line: string) => void;
}

/** The local model with this id (`local:<name>`), or undefined when there is none by that id. */
export function localEmbedder(id: string, opts: LocalEmbedOptions = {}): EmbeddingProvider | undefined {
  if (id === STATIC_MODEL_ID) return new StaticEmbedder({ maxTokens: opts.maxTokens, log: opts.log });
  const model = Object.values(LOCAL_MODELS).find((m) => m.id === id);
  return model && new LocalOnnxEmbedder({ model, processes: opts.processes, maxTokens: opts.maxTokens, log: opts.log });
}

/** The model that refines search over a knowledge base of model `id` (refine.ts): the transformer a static model was distilled from. */
export function refinerModelOf(id: string): string | undefined {
  return id === STATIC_MODEL_ID ? LOCAL_MODEL.id : undefined;
}

/** The embedder the settings name; `log` hears of a one-time install (Maven) or distillation, which can take a while. */
export function createEmbedder(cfg: RagConfig['embeddings'], log?: (line: string) => void): EmbeddingProvider {
  if (cfg.kind === 'openai') return new OpenAiEmbedder({ model: cfg.model, baseURL: cfg.baseURL, apiKey: cfg.apiKey });
  const id = `local:${cfg.model ?? DEFAULT_LOCAL_MODEL}`;
  const embedder = localEmbedder(id, { processes: cfg.processes, maxTokens: cfg.maxTokens, log });
  if (!embedder) throw new AimlError('CONFIG_INVALID', `${cfg.model} is not a local embedding model; use one of ${LOCAL_MODEL_NAMES.join(', ')}`, { variable: 'AIML_LOCAL_EMBED_MODEL' });
  return embedder;
}
