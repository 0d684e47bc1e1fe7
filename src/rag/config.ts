import os from 'node:os';
import { z } from 'zod';
import { AimlError } from '../errors';
import { withoutEmpty } from '../config';
import { selectedLocalModel } from './embed/model-install';

/**
 * Retrieval settings, read once at the edge. Secrets (API keys) stay in the process that read
 * them: they go into clients, never into workflow inputs.
 */
const RagEnv = z.object({
  AIML_EMBEDDINGS: z.enum(['local', 'openai']).default('local'),
  AIML_EMBED_MODEL: z.string().trim().min(1).default('text-embedding-3-small'),
  AIML_EMBED_BASE_URL: z.string().url().optional(),
  AIML_EMBED_API_KEY: z.string().trim().min(1).optional(),
  OPENAI_BASE_URL: z.string().url().optional(),
  OPENAI_API_KEY: z.string().trim().min(1).optional(),
  AIML_VECTOR_STORE: z.enum(['embedded', 'qdrant']).default('embedded'),
  QDRANT_URL: z.string().url().optional(),
  QDRANT_API_KEY: z.string().trim().min(1).optional(),
  AIML_RERANK: z.enum(['llm', 'none'], { error: 'expected "llm" or "none"' }).default('none'),
  AIML_CODE_SEARCH: z.enum(['hybrid', 'lexical'], { error: 'expected "hybrid" or "lexical"' }).default('hybrid'),
});

export interface RagConfig {
  embeddings: { kind: 'local'; processes?: number; maxTokens?: number; /** AIML_LOCAL_EMBED_MODEL when set (else minilm-static, refined by all-minilm-l6-v2-q). */ model?: string } | { kind: 'openai'; model: string; baseURL?: string; apiKey: string };
  store: { kind: 'embedded' } | { kind: 'qdrant'; url: string; apiKey?: string };
  /** Reorder the worker's fused hits with the chat model (AIML_RERANK=llm); absent means none. */
  rerank?: 'llm' | 'none';
  /** How the BUILD agent's search_code ranks (AIML_CODE_SEARCH): by words and meaning with the local models (default), or by words alone. */
  codeSearch?: 'hybrid' | 'lexical';
}

export function loadRagConfig(env: NodeJS.ProcessEnv = process.env): RagConfig {
  const parsed = RagEnv.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new AimlError('CONFIG_INVALID', `Invalid ${name}: ${issue?.message ?? 'bad value'}`, { variable: name });
  }
  const e = parsed.data;
  const embeddings: RagConfig['embeddings'] =
    e.AIML_EMBEDDINGS === 'local'
      ? { kind: 'local', processes: embedProcesses(env), ...embedMaxTokens(env), ...localModelChoice(env) }
      : {
          kind: 'openai',
          model: e.AIML_EMBED_MODEL,
          baseURL: e.AIML_EMBED_BASE_URL ?? e.OPENAI_BASE_URL,
          apiKey: e.AIML_EMBED_API_KEY ?? e.OPENAI_API_KEY ?? 'not-needed',
        };
  if (embeddings.kind === 'openai' && !embeddings.baseURL && embeddings.apiKey === 'not-needed') {
    throw new AimlError('CONFIG_MISSING', 'AIML_EMBEDDINGS=openai needs OPENAI_API_KEY (or AIML_EMBED_BASE_URL for a local endpoint)', {
      variable: 'OPENAI_API_KEY',
    });
  }
  if (e.AIML_VECTOR_STORE === 'qdrant' && !e.QDRANT_URL) {
    throw new AimlError('CONFIG_MISSING', 'AIML_VECTOR_STORE=qdrant needs QDRANT_URL (for example http://localhost:6333)', { variable: 'QDRANT_URL' });
  }
  const store: RagConfig['store'] = e.AIML_VECTOR_STORE === 'qdrant' ? { kind: 'qdrant', url: e.QDRANT_URL!, apiKey: e.QDRANT_API_KEY } : { kind: 'embedded' };
  return { embeddings, store, rerank: e.AIML_RERANK, codeSearch: e.AIML_CODE_SEARCH };
}

/** A whole number from `min` to `max` in the variable `name`, or undefined when it is unset; anything else is refused naming the variable. */
function wholeNumber(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new AimlError('CONFIG_INVALID', `${name}=${raw} must be a whole number from ${min} to ${max}`, { variable: name });
  }
  return n;
}

/** `AIML_LOCAL_EMBED_MODEL`, checked now (an unknown name stops the worker at start). */
function localModelChoice(env: NodeJS.ProcessEnv): { model?: string } {
  selectedLocalModel(env);
  const name = env.AIML_LOCAL_EMBED_MODEL?.trim();
  return name ? { model: name } : {};
}

/** `AIML_EMBED_MAX_TOKENS`: the local model's window in tokens, when set (else the model's own). */
function embedMaxTokens(env: NodeJS.ProcessEnv): { maxTokens?: number } {
  const n = wholeNumber(env, 'AIML_EMBED_MAX_TOKENS', 16, 512);
  return n === undefined ? {} : { maxTokens: n };
}

/** How many inference processes a model may use: `AIML_EMBED_PROCESSES`, else one per core (at most 4). */
export function embedProcesses(env: NodeJS.ProcessEnv = process.env): number {
  return wholeNumber(env, 'AIML_EMBED_PROCESSES', 1, 64) ?? Math.max(1, Math.min(4, os.availableParallelism()));
}
