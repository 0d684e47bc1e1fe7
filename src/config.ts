import fs from 'node:fs';
import { z } from 'zod';
import { AimlError } from './errors';
import { loadPriceTable, type PriceTable } from './llm/prices';
import { stateDir } from './paths';
import { parseCodecKeys, type CodecKey } from './temporal/codec';
import { loadRouting, routeFor, type CacheMode, type RoutingConfig } from './llm/providers';

/**
 * All configuration is read and validated here, once, at the edge. Each problem names the
 * variable that is wrong. Secrets (API keys) are read here and never leave the process that
 * read them: they are not passed to workflows or activities as arguments.
 */

const nonEmpty = z.string().trim().min(1);
const port = z.coerce.number().int().min(1).max(65535);

const TemporalEnv = z.object({
  TEMPORAL_ADDRESS: nonEmpty.default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: nonEmpty.default('default'),
  AIML_TASK_QUEUE: nonEmpty.default('aiml'),
  TEMPORAL_API_KEY: nonEmpty.optional(),
  TEMPORAL_TLS: z.enum(['true', 'false', '1', '0']).optional(),
  TEMPORAL_TLS_CERT_PATH: nonEmpty.optional(),
  TEMPORAL_TLS_KEY_PATH: nonEmpty.optional(),
  TEMPORAL_TLS_CA_PATH: nonEmpty.optional(),
  TEMPORAL_TLS_SERVER_NAME: nonEmpty.optional(),
  AIML_ENCRYPTION_KEYS: nonEmpty.optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
});

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  /** Payload encryption keys (AIML_ENCRYPTION_KEYS); the first encrypts, all decrypt. */
  encryptionKeys?: CodecKey[];
  /** Traces are exported (an OTLP endpoint is configured): clients trace what they start. */
  tracing?: boolean;
}

const LlmEnv = z.object({
  OPENAI_BASE_URL: z.string().url().optional(),
  OPENAI_API_KEY: nonEmpty.optional(),
  AIML_MODEL: nonEmpty.default('gpt-4o-mini'),
  AIML_LLM_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
  AIML_LLM_STREAM: z.enum(['true', 'false']).default('true'),
  AIML_CONTEXT_TOKENS: z.coerce.number().int().min(1024).optional(),
  AIML_LLM_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  AIML_MAX_TOKENS: z.string().optional(),
  AIML_LLM_PROVIDER: z.enum(['openai', 'local']).optional(),
  AIML_LOCAL_MODEL: nonEmpty.optional(),
  AIML_LOCAL_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  AIML_LOCAL_MAX_STRING: z.coerce.number().int().min(1).optional(),
  AIML_LOCAL_MAX_ITEMS: z.coerce.number().int().min(0).optional(),
  AIML_PRICES: z.string().optional(),
  AIML_PRICES_FILE: nonEmpty.optional(),
  AIML_LLM_CACHE: z.enum(['deterministic', 'all', 'off']).optional(),
});

/** What a call is for: sets its `max_tokens` (and, later, which provider serves it). */
export const LLM_PURPOSES = ['design', 'plan', 'step', 'agent', 'rerank', 'other'] as const;
export type LlmPurpose = (typeof LLM_PURPOSES)[number];

/** Output-token limits per call type; `AIML_MAX_TOKENS="design=6000,step=12000"` overrides some. */
export const DEFAULT_MAX_TOKENS: Record<LlmPurpose, number> = {
  design: 4096,
  plan: 2048,
  step: 8192,
  agent: 4096,
  rerank: 512,
  other: 2048,
};

export interface LlmConfig {
  /** `openai`: any OpenAI-compatible endpoint; `local`: in-process GGUF model (default when no endpoint is set). */
  provider?: 'openai' | 'local';
  baseURL?: string;
  apiKey: string;
  model: string;
  /** Whole request, first byte to last. */
  timeoutMs: number;
  /** Longest silence between two streamed chunks. */
  idleTimeoutMs?: number;
  stream: boolean;
  /** The model's context window (AIML_CONTEXT_TOKENS); default: known per model name. */
  contextTokens?: number;
  maxTokens?: Partial<Record<LlmPurpose, number>>;
  /** Local provider: the GGUF file (default: the SmolLM2 model installed from PyPI). */
  localModelPath?: string;
  /** Local provider: CPU threads (default: half the cores, 1 to 4). */
  localThreads?: number;
  /** Local provider: caps on structured outputs' strings and arrays, so a small CPU model answers in reasonable time. */
  localCaps?: { maxLength: number; maxItems: number };
  /** USD per 1M tokens by model (llm/prices.ts): defaults, AIML_PRICES_FILE, AIML_PRICES. */
  prices?: PriceTable;
  /** Several providers and routes per role (AIML_LLM_CONFIG / AIML_LLM_PROVIDERS); absent: this one endpoint. */
  routing?: RoutingConfig;
  /** Response cache mode (AIML_LLM_CACHE): `deterministic` (temperature 0, the default), `all` or `off`. */
  cache?: CacheMode;
}

/** A tiny model on a CPU writes ~10–50 tokens/s: a draft with these caps takes a minute or two, not ten. */
export const DEFAULT_LOCAL_CAPS = { maxLength: 160, maxItems: 2 };

/**
 * The local provider's own defaults where they differ: a CPU model's agent turn is a tool call,
 * and a small model left 4,096 tokens fills them with prose around it (80 s a turn at 50 tokens/s).
 */
export const LOCAL_MAX_TOKENS: Partial<Record<LlmPurpose, number>> = { agent: 1536 };

function parseMaxTokens(value: string | undefined, provider: 'openai' | 'local'): Record<LlmPurpose, number> {
  const limits = { ...DEFAULT_MAX_TOKENS, ...(provider === 'local' ? LOCAL_MAX_TOKENS : {}) };
  for (const part of (value ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z]+)\s*=\s*(\d+)$/.exec(part);
    const purpose = m?.[1] as LlmPurpose | undefined;
    if (!m || !purpose || !LLM_PURPOSES.includes(purpose) || Number(m[2]) < 1) {
      throw new AimlError(
        'CONFIG_INVALID',
        `Invalid AIML_MAX_TOKENS: "${part}" is not <type>=<positive number> with type one of ${LLM_PURPOSES.join(', ')}`,
        { variable: 'AIML_MAX_TOKENS' },
      );
    }
    limits[purpose] = Number(m[2]);
  }
  return limits;
}

const DevEnv = z.object({
  AIML_DEV_PORT: port.default(7233),
  AIML_DEV_UI_PORT: port.default(8233),
  AIML_DEV_IP: nonEmpty.default('127.0.0.1'),
  AIML_CODEC_ENDPOINT: z.string().url().optional(),
});

/** An empty variable (`FOO=` — common in compose files and CI) means unset. */
export function withoutEmpty(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
}

export function parseEnv<T extends z.ZodTypeAny>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(withoutEmpty(env));
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new AimlError('CONFIG_INVALID', `Invalid ${name}: ${issue?.message ?? 'bad value'}`, { variable: name });
  }
  return result.data;
}

function readFileFor(variable: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch {
    throw new AimlError('CONFIG_INVALID', `Invalid ${variable}: cannot read file ${file}`, { variable });
  }
}

export function loadTemporalConfig(env: NodeJS.ProcessEnv = process.env): TemporalConfig {
  const e = parseEnv(TemporalEnv, env);
  const config: TemporalConfig = { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.AIML_TASK_QUEUE };
  if (!/^[^:\s]+:\d+$/.test(config.address)) {
    throw new AimlError('CONFIG_INVALID', `Invalid TEMPORAL_ADDRESS: expected host:port, got "${config.address}"`, {
      variable: 'TEMPORAL_ADDRESS',
    });
  }
  if (e.TEMPORAL_API_KEY) config.apiKey = e.TEMPORAL_API_KEY;
  if (e.AIML_ENCRYPTION_KEYS) config.encryptionKeys = parseCodecKeys(e.AIML_ENCRYPTION_KEYS);
  if (e.OTEL_EXPORTER_OTLP_ENDPOINT || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) config.tracing = true;
  const wantsTls = e.TEMPORAL_TLS === 'true' || e.TEMPORAL_TLS === '1' || !!e.TEMPORAL_API_KEY || !!e.TEMPORAL_TLS_CERT_PATH;
  if (wantsTls && e.TEMPORAL_TLS !== 'false' && e.TEMPORAL_TLS !== '0') {
    config.tls = {};
    if (e.TEMPORAL_TLS_SERVER_NAME) config.tls.serverNameOverride = e.TEMPORAL_TLS_SERVER_NAME;
    if (e.TEMPORAL_TLS_CA_PATH) config.tls.serverRootCACertificate = readFileFor('TEMPORAL_TLS_CA_PATH', e.TEMPORAL_TLS_CA_PATH);
    if (!!e.TEMPORAL_TLS_CERT_PATH !== !!e.TEMPORAL_TLS_KEY_PATH) {
      const missing = e.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH';
      throw new AimlError('CONFIG_INVALID', `Invalid ${missing}: mTLS needs both TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH`, {
        variable: missing,
      });
    }
    if (e.TEMPORAL_TLS_CERT_PATH && e.TEMPORAL_TLS_KEY_PATH) {
      config.tls.clientCertPair = {
        crt: readFileFor('TEMPORAL_TLS_CERT_PATH', e.TEMPORAL_TLS_CERT_PATH),
        key: readFileFor('TEMPORAL_TLS_KEY_PATH', e.TEMPORAL_TLS_KEY_PATH),
      };
    }
  }
  return config;
}

/** The message a user sees when no LLM endpoint is configured. One line, says exactly what to set. */
export const LLM_NOT_CONFIGURED =
  'No LLM endpoint configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for a non-OpenAI endpoint such as http://localhost:11434/v1), optionally AIML_MODEL.';

export function llmConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!(env.OPENAI_API_KEY?.trim() || env.OPENAI_BASE_URL?.trim() || env.AIML_LLM_CONFIG?.trim() || env.AIML_LLM_PROVIDERS?.trim());
}

/**
 * The LLM settings. With no endpoint configured (and AIML_LLM_PROVIDER not `openai`) the provider
 * is `local`: the offline default model, in process.
 */
export function loadLlmConfig(env: NodeJS.ProcessEnv = process.env, opts: { requireEndpoint?: boolean } = {}): LlmConfig {
  const e = parseEnv(LlmEnv, env);
  const listed = !!(env.AIML_LLM_CONFIG?.trim() || env.AIML_LLM_PROVIDERS?.trim());
  const provider = opts.requireEndpoint && !listed ? 'openai' : (e.AIML_LLM_PROVIDER ?? (e.OPENAI_API_KEY || e.OPENAI_BASE_URL ? 'openai' : 'local'));
  if (listed) {
    // A provider list: the variables above give every provider its defaults (timeouts, streaming, limits).
    const base = singleConfig(e, env, 'openai');
    const routing = loadRouting(env, base, e.AIML_LLM_TIMEOUT_MS)!;
    return { ...routeFor(routing, 'design')[0]!.llm, routing, ...(base.prices ? { prices: base.prices } : {}) };
  }
  if (provider === 'openai' && !e.OPENAI_API_KEY && !e.OPENAI_BASE_URL) {
    throw new AimlError('CONFIG_MISSING', LLM_NOT_CONFIGURED, { variable: 'OPENAI_API_KEY' });
  }
  return singleConfig(e, env, provider);
}

function singleConfig(e: z.infer<typeof LlmEnv>, env: NodeJS.ProcessEnv, provider: 'openai' | 'local'): LlmConfig {
  // Local OpenAI-compatible servers (Ollama, llama.cpp, vLLM) accept any key.
  return {
    provider,
    baseURL: e.OPENAI_BASE_URL,
    apiKey: e.OPENAI_API_KEY ?? 'not-needed',
    model: provider === 'local' && !env.AIML_MODEL ? 'local' : e.AIML_MODEL,
    // A CPU model is slow: its default stays just inside the LLM activity's 10-minute limit.
    timeoutMs: e.AIML_LLM_TIMEOUT_MS ?? (provider === 'local' ? 540_000 : 120_000),
    idleTimeoutMs: e.AIML_LLM_IDLE_TIMEOUT_MS,
    stream: e.AIML_LLM_STREAM === 'true',
    ...(e.AIML_CONTEXT_TOKENS ? { contextTokens: e.AIML_CONTEXT_TOKENS } : {}),
    maxTokens: parseMaxTokens(e.AIML_MAX_TOKENS, provider),
    ...(e.AIML_LOCAL_MODEL ? { localModelPath: e.AIML_LOCAL_MODEL } : {}),
    ...(e.AIML_LOCAL_THREADS ? { localThreads: e.AIML_LOCAL_THREADS } : {}),
    prices: loadPriceTable(e),
    localCaps: { maxLength: e.AIML_LOCAL_MAX_STRING ?? DEFAULT_LOCAL_CAPS.maxLength, maxItems: e.AIML_LOCAL_MAX_ITEMS ?? DEFAULT_LOCAL_CAPS.maxItems },
    ...(e.AIML_LLM_CACHE ? { cache: e.AIML_LLM_CACHE } : {}),
  };
}

/** Said once when a run uses the offline default: what it is, what to expect, how to change it. */
export const LOCAL_MODEL_NOTICE =
  'No LLM endpoint configured (OPENAI_API_KEY / OPENAI_BASE_URL unset): using the offline default model, SmolLM2-135M-Instruct, ' +
  'a tiny model running on this CPU. Expect a schema-valid but shallow, often repetitive design: good for trying aiml out, not for real work. ' +
  'For real designs set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama) and AIML_MODEL.';

export interface DevServerConfig {
  ip: string;
  port: number;
  uiPort: number;
  stateDir: string;
  /** A codec server the dev UI decodes payloads through (aiml codec-server). */
  codecEndpoint?: string;
}

export function loadDevServerConfig(env: NodeJS.ProcessEnv = process.env): DevServerConfig {
  const e = parseEnv(DevEnv, env);
  return { ip: e.AIML_DEV_IP, port: e.AIML_DEV_PORT, uiPort: e.AIML_DEV_UI_PORT, stateDir: stateDir(env), ...(e.AIML_CODEC_ENDPOINT ? { codecEndpoint: e.AIML_CODEC_ENDPOINT } : {}) };
}
