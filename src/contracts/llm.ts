/** Which model provider served a call, and why others were passed over. Plain data: it lands in history. */

/** A provider the router did not use for a call, and why (breaker open, outage, rate limit). */
export interface SkippedProvider {
  name: string;
  /** In words, with the error code or the breaker's cool-down: never a key, never a prompt. */
  reason: string;
}

/** One LLM call's routing outcome, carried in the LLM activity's result. */
export interface ProviderUse {
  /** The call's role (its purpose): design, plan, step, agent, rerank, other. */
  purpose: string;
  /** The provider that answered (its configured name). */
  name: string;
  model: string;
  /** Answered from the response cache: no request was made. */
  cached?: boolean;
  /** Providers ahead of it in the role's list that were not used, in order. */
  skipped: SkippedProvider[];
  /** What the provider said about the answer, e.g. that the prompt did not fit its context. */
  note?: string;
}

/** One role's provider list, as a worker routes it. */
export interface RouteView {
  purpose: string;
  /** `name (model)` of each provider in fallback order. */
  providers: string[];
}

/** The worker's routing table, recorded at run start. */
export interface LlmRoutesView {
  routes: RouteView[];
  /** Providers whose circuit breaker is open now, with when they are tried again. */
  open: SkippedProvider[];
  /** Response cache mode (deterministic, all, off). */
  cache: string;
}

/** A switch: a call answered by another provider than the first of its role's list. */
export interface ProviderSwitch extends ProviderUse {
  at: string;
}

/** What a run shows about its model providers (details.llm, and a short form in the memo). */
export interface LlmRunView {
  routes?: RouteView[];
  /** The provider of the latest call. */
  last?: ProviderUse;
  /** The latest switches (at most LLM_SWITCHES_KEPT), and how many in all. */
  switches: ProviderSwitch[];
  switchTotal: number;
  cacheHits: number;
}

export const LLM_SWITCHES_KEPT = 10;

/** One line for a provider use: `design → backup (gpt-4o-mini); skipped primary: breaker open until 21:40:03Z`. */
export function providerLine(p: ProviderUse): string {
  const skipped = p.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  return `${p.purpose} → ${p.name} (${p.model})${p.cached ? ' from the response cache' : ''}${skipped ? `; skipped ${skipped}` : ''}${p.note ? `; ${p.note}` : ''}`;
}

/** The short form kept in the run's memo, so `aiml status` shows it with no worker running. */
export interface LlmMemo {
  /** One line per role: `design: primary (gpt-4o at …) → backup (…)`. */
  routes: string[];
  /** The latest call's provider, in one line. */
  last?: string;
  /** The latest switches (at most 5), oldest first, one line each with its time. */
  switches: string[];
  switchTotal: number;
  cacheHits: number;
}

export function llmMemo(v: LlmRunView): LlmMemo {
  return {
    routes: groupRoutes(v.routes ?? []),
    ...(v.last ? { last: providerLine(v.last) } : {}),
    switches: v.switches.slice(-5).map((s) => `${s.at.slice(11, 19)}Z ${providerLine(s)}`),
    switchTotal: v.switchTotal,
    cacheHits: v.cacheHits,
  };
}

/** One line per distinct provider list, naming the roles that share it: `design, plan: a (…) → b (…)`. */
function groupRoutes(routes: RouteView[]): string[] {
  const byList = new Map<string, string[]>();
  for (const r of routes) {
    const list = r.providers.join(' → ');
    byList.set(list, [...(byList.get(list) ?? []), r.purpose]);
  }
  return [...byList].map(([list, roles]) => `${roles.join(', ')}: ${list}`);
}
