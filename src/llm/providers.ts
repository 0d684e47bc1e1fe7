import fs from 'node:fs';
import { z } from 'zod';
import { LLM_PURPOSES, type LlmConfig, type LlmPurpose } from '../config';
import type { LlmRoutesView } from '../contracts/llm';
import { AimlError } from '../errors';
import { shownEndpoint } from './errors';

/**
 * Several model providers and which of them serve each role. Read from a JSON file
 * (AIML_LLM_CONFIG) or the same JSON inline (AIML_LLM_PROVIDERS); without either, today's
 * single-endpoint variables make a one-provider list. Keys are named by the environment variable
 * that holds them (`apiKeyEnv`), read here at start, and never written anywhere.
 */

export type RouteKey = LlmPurpose | 'default';
export type CacheMode = 'deterministic' | 'all' | 'off';

export interface ProviderConfig {
  name: string;
  /** Everything one provider's client needs (its endpoint, model, key, limits). */
  llm: LlmConfig;
}

export interface RoutingConfig {
  providers: ProviderConfig[];
  /** Provider names per role, in fallback order; `default` serves roles not listed. */
  routes: Partial<Record<RouteKey, string[]>>;
  breaker: { failures: number; cooldownMs: number };
  cache: { mode: CacheMode; maxEntries: number; maxBytes: number };
  /** Where it came from (a file path, AIML_LLM_PROVIDERS, or the single-endpoint variables). */
  source: string;
}

export const DEFAULT_BREAKER = { failures: 1, cooldownMs: 60_000 };
export const DEFAULT_CACHE = { mode: 'deterministic' as CacheMode, maxEntries: 500, maxBytes: 32 * 2 ** 20 };

/** Built on first use: config.ts imports this module, so its constants are not ready at load time. */
let fileSchema: ReturnType<typeof buildSchema> | undefined;

function buildSchema() {
  const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'a name of letters, digits, ".", "_" or "-" (at most 40)');
  const maxTokens = z.partialRecord(z.enum(LLM_PURPOSES), z.number().int().positive()).optional();

  const ProviderSchema = z
    .object({
      name,
      type: z.enum(['openai', 'local']).default('openai'),
      baseURL: z.string().url().optional(),
      model: z.string().trim().min(1).optional(),
      apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable, not a key').optional(),
      timeoutMs: z.number().int().positive().optional(),
      idleTimeoutMs: z.number().int().positive().optional(),
      stream: z.boolean().optional(),
      contextTokens: z.number().int().min(1024).optional(),
      maxTokens,
      localModelPath: z.string().min(1).optional(),
    })
    .strict();

  const FileSchema = z
    .object({
      providers: z.array(ProviderSchema).min(1).max(16),
      routes: z.partialRecord(z.enum([...LLM_PURPOSES, 'default']), z.array(name).min(1).max(16)).optional(),
      breaker: z.object({ failures: z.number().int().min(1).max(100).optional(), cooldownMs: z.number().int().min(0).optional() }).strict().optional(),
      cache: z
        .object({ mode: z.enum(['deterministic', 'all', 'off']).optional(), maxEntries: z.number().int().min(0).optional(), maxBytes: z.number().int().min(0).optional() })
        .strict()
        .optional(),
    })
    .strict();
  return FileSchema;
}

function invalid(source: string, variable: string, problem: string): AimlError {
  return new AimlError('CONFIG_INVALID', `Invalid ${source}: ${problem}`, { variable });
}

/**
 * The routing config from the environment, or undefined when neither AIML_LLM_CONFIG nor
 * AIML_LLM_PROVIDERS is set. `base` holds the defaults every provider starts from (timeouts,
 * streaming, output limits from the single-endpoint variables).
 */
export function loadRouting(env: NodeJS.ProcessEnv, base: LlmConfig, envTimeoutMs?: number): RoutingConfig | undefined {
  const file = env.AIML_LLM_CONFIG?.trim();
  const inline = env.AIML_LLM_PROVIDERS?.trim();
  if (file && inline) throw invalid('AIML_LLM_PROVIDERS', 'AIML_LLM_PROVIDERS', 'set AIML_LLM_CONFIG (a file) or AIML_LLM_PROVIDERS (inline JSON), not both');
  if (!file && !inline) return undefined;
  const variable = file ? 'AIML_LLM_CONFIG' : 'AIML_LLM_PROVIDERS';
  const source = file ? `AIML_LLM_CONFIG (${file})` : 'AIML_LLM_PROVIDERS';
  let text = inline ?? '';
  if (file) {
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw invalid(source, variable, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid(source, variable, `not valid JSON (${(err as Error).message})`);
  }
  const parsed = (fileSchema ??= buildSchema()).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.join('.') || '(top level)';
    const hint = /apiKey"/.test(issue.message)
      ? ': keys stay out of config files; name the environment variable that holds it with apiKeyEnv'
      : where === 'routes'
        ? ` (roles: ${[...LLM_PURPOSES, 'default'].join(', ')})`
        : '';
    throw invalid(source, variable, `${where}: ${issue.message}${hint}`);
  }
  const spec = parsed.data;
  const seen = new Set<string>();
  const providers = spec.providers.map((p, i): ProviderConfig => {
    const at = `providers[${i}] "${p.name}"`;
    if (seen.has(p.name)) throw invalid(source, variable, `${at}: the name is used twice`);
    seen.add(p.name);
    if (p.type === 'openai' && !p.baseURL && !p.apiKeyEnv) throw invalid(source, variable, `${at}: an openai-type provider needs baseURL or apiKeyEnv`);
    if (p.type === 'openai' && !p.model) throw invalid(source, variable, `${at}: model is required`);
    let apiKey = 'not-needed';
    if (p.apiKeyEnv) {
      const value = env[p.apiKeyEnv]?.trim();
      if (!value) throw invalid(source, variable, `${at}: apiKeyEnv names ${p.apiKeyEnv}, which is not set`);
      apiKey = value;
    }
    const llm: LlmConfig = {
      ...base,
      provider: p.type,
      baseURL: p.baseURL,
      apiKey,
      model: p.model ?? (p.type === 'local' ? 'local' : base.model),
      // A CPU model is slow: its default stays just inside the LLM activity's 10-minute limit.
      timeoutMs: p.timeoutMs ?? envTimeoutMs ?? (p.type === 'local' ? 540_000 : 120_000),
      idleTimeoutMs: p.idleTimeoutMs ?? base.idleTimeoutMs,
      stream: p.stream ?? base.stream,
      maxTokens: { ...base.maxTokens, ...p.maxTokens },
      ...(p.contextTokens ? { contextTokens: p.contextTokens } : {}),
      ...(p.localModelPath ? { localModelPath: p.localModelPath } : {}),
    };
    return { name: p.name, llm };
  });
  const routes: RoutingConfig['routes'] = spec.routes ?? {};
  for (const [role, names] of Object.entries(routes)) {
    for (const n of names ?? []) if (!seen.has(n)) throw invalid(source, variable, `routes.${role}: no provider is named "${n}" (known: ${[...seen].join(', ')})`);
    if (new Set(names).size !== names?.length) throw invalid(source, variable, `routes.${role}: a provider is listed twice`);
  }
  return {
    providers,
    routes,
    breaker: { ...DEFAULT_BREAKER, ...spec.breaker },
    // The file's mode wins over AIML_LLM_CACHE.
    cache: { ...DEFAULT_CACHE, ...(base.cache ? { mode: base.cache } : {}), ...spec.cache },
    source,
  };
}

/** Today's single endpoint (or the local model) as a one-provider list. */
export function singleProvider(llm: LlmConfig): RoutingConfig {
  const kind = llm.provider ?? 'openai';
  return { providers: [{ name: kind, llm }], routes: {}, breaker: DEFAULT_BREAKER, cache: { ...DEFAULT_CACHE, ...(llm.cache ? { mode: llm.cache } : {}) }, source: 'OPENAI_BASE_URL / AIML_MODEL' };
}

/** The providers that serve `role`, in fallback order: its route, else `default`, else every provider in the order given. */
export function routeFor(config: RoutingConfig, role: LlmPurpose): ProviderConfig[] {
  const names = config.routes[role] ?? config.routes.default;
  if (!names) return config.providers;
  return names.map((n) => config.providers.find((p) => p.name === n)!);
}

/** `name (model at endpoint)`: what a person needs to know which provider it is. Never a key. */
export function describeProvider(p: ProviderConfig): string {
  return p.llm.provider === 'local' ? `${p.name} (${p.llm.model}, in process)` : `${p.name} (${p.llm.model} at ${shownEndpoint(p.llm.baseURL)})`;
}

/** Every role's provider list, for run details and the start of `aiml worker`. */
export function describeRoutes(config: RoutingConfig): Omit<LlmRoutesView, 'open'> {
  return {
    routes: LLM_PURPOSES.map((purpose) => ({ purpose, providers: routeFor(config, purpose).map(describeProvider) })),
    cache: config.cache.mode,
  };
}
