import fs from 'node:fs';
import { z } from 'zod';
import { AimlError } from './errors';
import { stateDir } from './paths';
import { parseCodecKeys, type CodecKey } from './temporal/codec';

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
  AIML_LLM_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  AIML_LLM_STREAM: z.enum(['true', 'false']).default('true'),
});

export interface LlmConfig {
  baseURL?: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
  stream: boolean;
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

function parse<T extends z.ZodTypeAny>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
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
  const e = parse(TemporalEnv, env);
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
  return !!(env.OPENAI_API_KEY?.trim() || env.OPENAI_BASE_URL?.trim());
}

export function loadLlmConfig(env: NodeJS.ProcessEnv = process.env): LlmConfig {
  const e = parse(LlmEnv, env);
  if (!e.OPENAI_API_KEY && !e.OPENAI_BASE_URL) throw new AimlError('CONFIG_MISSING', LLM_NOT_CONFIGURED, { variable: 'OPENAI_API_KEY' });
  // Local OpenAI-compatible servers (Ollama, llama.cpp, vLLM) accept any key.
  return {
    baseURL: e.OPENAI_BASE_URL,
    apiKey: e.OPENAI_API_KEY ?? 'not-needed',
    model: e.AIML_MODEL,
    timeoutMs: e.AIML_LLM_TIMEOUT_MS,
    stream: e.AIML_LLM_STREAM === 'true',
  };
}

export interface DevServerConfig {
  ip: string;
  port: number;
  uiPort: number;
  stateDir: string;
  /** A codec server the dev UI decodes payloads through (aiml codec-server). */
  codecEndpoint?: string;
}

export function loadDevServerConfig(env: NodeJS.ProcessEnv = process.env): DevServerConfig {
  const e = parse(DevEnv, env);
  return { ip: e.AIML_DEV_IP, port: e.AIML_DEV_PORT, uiPort: e.AIML_DEV_UI_PORT, stateDir: stateDir(env), ...(e.AIML_CODEC_ENDPOINT ? { codecEndpoint: e.AIML_CODEC_ENDPOINT } : {}) };
}
