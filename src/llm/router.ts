import { configuredWindow } from './context-window';
import { DEFAULT_MAX_TOKENS, type LlmPurpose } from '../config';
import type { LlmRoutesView, SkippedProvider } from '../contracts/llm';
import { CircuitBreaker } from './breaker';
import { ResponseCache } from './cache';
import { LlmError, shownEndpoint } from './errors';
import type { ChatModel, ChatRequest, ChatResponse } from './gateway';
import { describeRoutes, routeFor, type ProviderConfig, type RoutingConfig } from './providers';

/** Failures that say the provider is out (down, overloaded, too slow, rate-limited): worth the next provider. */
const OUTAGES = new Set(['LLM_CONNECTION', 'LLM_SERVER_ERROR', 'LLM_TIMEOUT', 'LLM_STALLED', 'LLM_RATE_LIMITED', 'LOCAL_MODEL_LOAD_FAILED', 'LOCAL_MODEL_FAILED']);

export function isOutage(err: unknown): err is LlmError {
  return err instanceof LlmError && (OUTAGES.has(err.code) || (err.retryable && err.code.startsWith('LLM_HTTP_')));
}

interface Member {
  config: ProviderConfig;
  model: ChatModel & { close?(): Promise<void>; load?(): Promise<unknown> };
  /** The breaker and cache key: name, endpoint and model; never the key. */
  key: string;
  endpoint: string;
}

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19) + 'Z';

function outageText(err: LlmError): string {
  const status = err.status ? ` ${err.status}` : '';
  const after = err.retryAfterMs !== undefined ? `, retry after ${Math.ceil(err.retryAfterMs / 1000)} s` : '';
  return `${err.code}${status}${after}`;
}

/**
 * Sends each call to the providers of its role in order: a cached answer if the call is
 * deterministic and one is kept; else the first provider whose breaker is not open. An outage
 * (connection refused, 5xx, timeout, stall, 429) counts against that provider and the call goes
 * to the next one, at once (this is failover, not a retry: Temporal's retry policy still owns
 * retries, and gets the last outage when every provider failed). Every answer says which provider
 * gave it and why the ones before it were skipped.
 */
export class LlmRouter implements ChatModel {
  private readonly members = new Map<string, Member>();
  readonly breaker: CircuitBreaker;
  readonly cache: ResponseCache;

  constructor(
    readonly config: RoutingConfig,
    makeModel: (p: ProviderConfig) => Member['model'],
    opts: { breakerFile?: string; now?: () => number } = {},
  ) {
    for (const p of config.providers) {
      const endpoint = p.llm.provider === 'local' ? 'local' : shownEndpoint(p.llm.baseURL);
      this.members.set(p.name, { config: p, model: makeModel(p), key: `${p.name}|${endpoint}|${p.llm.model}`, endpoint });
    }
    this.breaker = new CircuitBreaker({ ...config.breaker, file: opts.breakerFile, now: opts.now });
    this.cache = new ResponseCache(config.cache);
  }

  /** The providers of a role, in fallback order. */
  route(role: LlmPurpose): Member[] {
    return routeFor(this.config, role).map((p) => this.members.get(p.name)!);
  }

  /** The output-token limit a call of this role gets from its first provider. */
  maxTokensFor(purpose: LlmPurpose | undefined): number {
    const p = purpose ?? 'other';
    return this.route(p)[0]!.config.llm.maxTokens?.[p] ?? DEFAULT_MAX_TOKENS[p];
  }

  /** Whether this role's first provider is the local model, which fits an answer to the room its prompt leaves. */
  capsAnswerFor(purpose: LlmPurpose | undefined): boolean {
    return this.route(purpose ?? 'other')[0]!.config.llm.provider === 'local';
  }

  /** The context window of this role's first provider, when its settings fix one. */
  contextTokensFor(purpose: LlmPurpose | undefined): number | undefined {
    return configuredWindow(this.route(purpose ?? 'other')[0]!.config.llm);
  }

  describe(): LlmRoutesView {
    const names = new Map([...this.members.values()].map((m) => [m.key, m.config.name]));
    return {
      ...describeRoutes(this.config),
      open: this.breaker.openNow().map((o) => ({ name: names.get(o.key) ?? o.key.split('|')[0]!, reason: `breaker open until ${clock(o.until)} after ${o.lastError}` })),
    };
  }

  async chat(req: ChatRequest): Promise<ChatResponse> {
    const role = req.purpose ?? 'other';
    const route = this.route(role);
    const skipped: SkippedProvider[] = [];
    const passedOver: Member[] = [];
    let last: LlmError | undefined;
    const failures: string[] = [];
    /** The provider that failed last and has not been followed yet: the next one tried is told it takes over. */
    let stopped: SkippedProvider | undefined;

    const callFor = (m: Member, first: boolean): ChatRequest => ({
      ...req,
      // A run's --model names the model of the role's first provider; fallbacks keep their own.
      model: first ? req.model : undefined,
      maxTokens: req.maxTokens ?? m.config.llm.maxTokens?.[role] ?? DEFAULT_MAX_TOKENS[role],
    });
    const keys = new Map<Member, string | undefined>();
    const cacheKey = (m: Member, call: ChatRequest): string | undefined => {
      if (!keys.has(m)) keys.set(m, this.cache.cacheable(call) ? this.cache.key({ name: m.config.name, endpoint: m.endpoint, model: call.model ?? m.config.llm.model }, call) : undefined);
      return keys.get(m);
    };

    /** A kept answer for this provider, if the call is deterministic: no request, and no say on the provider's health. */
    const cached = (m: Member, first: boolean): ChatResponse | undefined => {
      const key = cacheKey(m, callFor(m, first));
      const hit = key ? this.cache.get(key) : undefined;
      if (!hit) return undefined;
      return { ...hit, latencyMs: 0, usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 }, provider: { purpose: role, name: m.config.name, model: hit.model, cached: true, skipped } };
    };

    const tryOne = async (m: Member, first: boolean): Promise<ChatResponse | undefined> => {
      const call = callFor(m, first);
      try {
        const res = await m.model.chat(call);
        this.breaker.success(m.key);
        const key = cacheKey(m, call);
        if (key && res.finishReason !== 'length') this.cache.put(key, { ...res, provider: undefined });
        return { ...res, provider: { purpose: role, name: m.config.name, model: res.model || (call.model ?? m.config.llm.model), skipped, ...(res.note ? { note: res.note } : {}) } };
      } catch (err) {
        if (req.signal?.aborted || !isOutage(err)) {
          this.breaker.release(m.key);
          throw err;
        }
        this.breaker.failure(m.key, outageText(err), err.retryAfterMs);
        skipped.push({ name: m.config.name, reason: outageText(err) });
        stopped = skipped.at(-1);
        failures.push(`${m.config.name}: ${err.message}`);
        last = err;
        return undefined;
      }
    };

    for (const [i, m] of route.entries()) {
      const hit = cached(m, i === 0);
      if (hit) return hit;
      const state = this.breaker.check(m.key);
      if (state.state === 'open') {
        skipped.push({ name: m.config.name, reason: `breaker open until ${clock(state.until)} after ${state.lastError}` });
        passedOver.push(m);
        continue;
      }
      if (stopped) req.onFallback?.(stopped.name, stopped.reason, m.config.name);
      stopped = undefined;
      const res = await tryOne(m, i === 0);
      if (res) return res;
    }
    // Every provider was skipped or failed. Those skipped for their breaker are tried anyway,
    // rather than failing a call no provider was asked to answer.
    if (!last) {
      for (const m of passedOver) {
        skipped.splice(skipped.findIndex((s) => s.name === m.config.name), 1);
        const res = await tryOne(m, m === route[0]);
        if (res) return res;
      }
    }
    if (route.length === 1 || failures.length === 1) throw last!;
    throw new LlmError(last!.code, `Every provider for ${role} calls failed: ${failures.join(' | ')}`, last!.retryable, last!.status, last!.retryAfterMs);
  }

  /** Loads what the first provider of any role needs before the first call (a local model). */
  async warm(): Promise<void> {
    const firsts = new Set(Object.values(this.config.routes).map((names) => names?.[0]));
    if (!Object.keys(this.config.routes).length || !this.config.routes.default) firsts.add(this.config.providers[0]!.name);
    for (const name of firsts) if (name) await this.members.get(name)?.model.load?.();
  }

  async close(): Promise<void> {
    for (const m of this.members.values()) await m.model.close?.();
  }
}
