import fs from 'node:fs';
import path from 'node:path';
import { loadLlmConfig } from '../../src/config';
import { LlmError } from '../../src/llm/errors';
import { LlmGateway } from '../../src/llm/gateway';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { tmpDir } from '../support/env';
import { freePort } from '../support/ports';

/**
 * The gateway's router against two (or three) real scripted OpenAI-compatible servers: per-role
 * routing, fallback on an outage, the circuit breaker (shared through AIML_HOME, so it holds in a
 * second gateway) and the response cache. No Temporal here: the workflow side is in
 * test/design.providers.test.ts.
 */

let strong: ScriptedLlm;
let small: ScriptedLlm;
beforeAll(async () => {
  [strong, small] = await Promise.all([startScriptedLlm(), startScriptedLlm()]);
  strong.setFallback((req) => ({ content: `strong answered ${req.model}` }));
  small.setFallback((req) => ({ content: `small answered ${req.model}` }));
});
afterAll(async () => {
  await strong.close();
  await small.close();
});

/** A base URL where nothing listens: connection refused. */
const deadUrl = async (): Promise<string> => `http://127.0.0.1:${await freePort()}/v1`;

const env = (config: unknown, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ AIML_LLM_PROVIDERS: JSON.stringify(config), AIML_LLM_STREAM: 'false', ...extra });

function twoProviders(opts: { cooldownMs?: number; primaryUrl?: string; cache?: string } = {}) {
  return {
    providers: [
      { name: 'primary', baseURL: opts.primaryUrl ?? strong.url, model: 'strong-model', apiKeyEnv: 'STRONG_KEY' },
      { name: 'backup', baseURL: small.url, model: 'small-model' },
    ],
    routes: { design: ['primary', 'backup'], rerank: ['backup'], default: ['primary', 'backup'] },
    breaker: { failures: 1, cooldownMs: opts.cooldownMs ?? 60_000 },
    ...(opts.cache ? { cache: { mode: opts.cache } } : {}),
  };
}

const KEY = 'sk-live-routing-test-key-0123456789';
const gatewayFor = (config: unknown, stateDir?: string): LlmGateway => new LlmGateway(loadLlmConfig(env(config, { STRONG_KEY: KEY })), stateDir ? { stateDir } : {});
const ask = (g: LlmGateway, purpose: 'design' | 'rerank' | 'plan', temperature = 0.2) => g.chat({ messages: [{ role: 'user', content: `a ${purpose} question` }], purpose, temperature });

describe('routing', () => {
  test('each role goes to its provider with that provider\'s model and key', async () => {
    const g = gatewayFor(twoProviders());
    const [s0, m0] = [strong.requests.length, small.requests.length];
    const design = await ask(g, 'design');
    const rerank = await ask(g, 'rerank');
    const plan = await ask(g, 'plan'); // not listed: the default route
    expect(design.provider).toEqual({ purpose: 'design', name: 'primary', model: 'strong-model', skipped: [] });
    expect(rerank.provider).toEqual({ purpose: 'rerank', name: 'backup', model: 'small-model', skipped: [] });
    expect(plan.provider?.name).toBe('primary');
    expect(strong.requests.slice(s0).map((r) => r.model)).toEqual(['strong-model', 'strong-model']);
    expect(small.requests.slice(m0).map((r) => r.model)).toEqual(['small-model']);
    // Each provider gets its own key: the primary's never reaches the backup.
    expect(strong.authorizations.slice(s0)).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`]);
    expect(small.authorizations.slice(m0)).toEqual(['Bearer not-needed']);
    expect(design.content).toBe('strong answered strong-model');
  });

  test('the routing table names providers and models, never a key', () => {
    const g = gatewayFor(twoProviders());
    const view = g.describeRoutes();
    expect(view.routes.find((r) => r.purpose === 'design')?.providers).toEqual([`primary (strong-model at ${strong.url})`, `backup (small-model at ${small.url})`]);
    expect(view.routes.find((r) => r.purpose === 'rerank')?.providers).toEqual([`backup (small-model at ${small.url})`]);
    expect(JSON.stringify(view)).not.toContain(KEY);
  });

  test('today\'s single-endpoint variables are a one-provider list', async () => {
    const g = new LlmGateway(loadLlmConfig({ OPENAI_BASE_URL: small.url, AIML_MODEL: 'only-model', AIML_LLM_STREAM: 'false' }));
    const res = await ask(g, 'design');
    expect(res.provider).toEqual({ purpose: 'design', name: 'openai', model: 'only-model', skipped: [] });
    expect(g.describeRoutes().routes.every((r) => r.providers.length === 1)).toBe(true);
  });
});

describe('fallback and the circuit breaker', () => {
  test('an outage falls back to the next provider, the breaker then skips the first without a request, and after the cool-down it is tried again', async () => {
    const home = tmpDir('aiml-breaker-');
    const g = gatewayFor(twoProviders({ cooldownMs: 1500 }), home);
    strong.enqueue({ status: 503, error: 'overloaded' });
    const [s0, m0] = [strong.requests.length, small.requests.length];

    const first = await ask(g, 'design');
    expect(first.provider).toMatchObject({ name: 'backup', skipped: [{ name: 'primary', reason: 'LLM_SERVER_ERROR 503' }] });
    expect(strong.requests.length - s0).toBe(1);

    const second = await ask(g, 'design');
    expect(second.provider?.name).toBe('backup');
    expect(second.provider?.skipped[0]?.reason).toMatch(/^breaker open until \d\d:\d\d:\d\dZ after LLM_SERVER_ERROR 503$/);
    expect(strong.requests.length - s0).toBe(1); // skipped: no request
    expect(small.requests.length - m0).toBe(2);

    // The state is in AIML_HOME, so another gateway (a second run, another worker) skips it too.
    const other = gatewayFor(twoProviders({ cooldownMs: 1500 }), home);
    expect((await ask(other, 'design')).provider?.skipped[0]?.reason).toMatch(/^breaker open/);
    expect(strong.requests.length - s0).toBe(1);
    const file = fs.readFileSync(path.join(home, 'llm-breaker.json'), 'utf8');
    expect(file).toContain('LLM_SERVER_ERROR 503');
    expect(file).not.toContain(KEY);

    await new Promise((r) => setTimeout(r, 1600));
    const back = await ask(g, 'design'); // half-open: one probe, which answers
    expect(back.provider).toMatchObject({ name: 'primary', skipped: [] });
    expect(strong.requests.length - s0).toBe(2);
    expect(fs.readFileSync(path.join(home, 'llm-breaker.json'), 'utf8')).toBe('{}');
    expect((await ask(other, 'design')).provider?.name).toBe('primary'); // closed for everyone
  });

  test('connection refused, a 429 and a stalled stream each move the call on; every outage is named', async () => {
    const g = new LlmGateway(
      loadLlmConfig(
        env({
          providers: [
            { name: 'gone', baseURL: await deadUrl(), model: 'm' },
            { name: 'limited', baseURL: strong.url, model: 'm', stream: false },
            { name: 'stalling', baseURL: small.url, model: 'm', stream: true, idleTimeoutMs: 300 },
            { name: 'last', baseURL: small.url, model: 'last-model' },
          ],
        }),
      ),
    );
    strong.enqueue({ status: 429, error: 'slow down', headers: { 'retry-after': '2' } });
    small.enqueue({ content: 'partial', hang: 'stall' });
    // The stream sink (what aiml watch shows, through heartbeats) hears each provider that stopped and the one taking over.
    const heard: string[] = [];
    const stream = { start: () => heard.push('start'), text: (d: string) => heard.push(`text ${d}`), fallback: (from: string, reason: string, to: string) => heard.push(`${from} stopped (${reason}); ${to} answers`) };
    const res = await g.chat({ messages: [{ role: 'user', content: 'a plan question' }], purpose: 'plan', temperature: 0.2, stream });
    expect(res.provider?.name).toBe('last');
    expect(res.provider?.skipped).toEqual([
      { name: 'gone', reason: 'LLM_CONNECTION' },
      { name: 'limited', reason: 'LLM_RATE_LIMITED 429, retry after 2 s' },
      { name: 'stalling', reason: 'LLM_STALLED' },
    ]);
    expect(heard).toEqual([
      'start',
      'gone stopped (LLM_CONNECTION); limited answers',
      'limited stopped (LLM_RATE_LIMITED 429, retry after 2 s); stalling answers',
      'text partial',
      'stalling stopped (LLM_STALLED); last answers', // last does not stream: no text of its own
    ]);
  });

  test('when every provider fails the error names each (retryable, for Temporal); a 4xx does not fall back', async () => {
    const g = gatewayFor({ ...twoProviders(), breaker: { failures: 5 } });
    strong.enqueue({ status: 502, error: 'bad gateway' });
    small.enqueue({ status: 500, error: 'boom' });
    const err = (await ask(g, 'design').catch((e: unknown) => e)) as LlmError;
    expect(err).toBeInstanceOf(LlmError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/^Every provider for design calls failed: primary: .*502.* \| backup: .*500/);
    expect(err.message).not.toContain(KEY);

    strong.enqueue({ status: 401, error: 'bad key' });
    const m0 = small.requests.length;
    const unauthorized = (await ask(g, 'design').catch((e: unknown) => e)) as LlmError;
    expect(unauthorized.code).toBe('LLM_UNAUTHORIZED');
    expect(small.requests.length).toBe(m0);
  });
});

describe('response cache', () => {
  test('a deterministic call answered once is answered again with no request; other calls always go out', async () => {
    const g = gatewayFor(twoProviders());
    const s0 = strong.requests.length;
    const a = await ask(g, 'design', 0);
    const b = await ask(g, 'design', 0);
    expect(strong.requests.length - s0).toBe(1);
    expect(b.content).toBe(a.content);
    expect(b.provider).toMatchObject({ name: 'primary', cached: true });
    expect(b.usage.totalTokens).toBe(0);
    await ask(g, 'design', 0.2);
    await ask(g, 'design', 0.2);
    expect(strong.requests.length - s0).toBe(3);
    expect(g.router.cache.hits).toBe(1);
  });

  test('mode off sends everything; the cache is bounded by entries', async () => {
    const off = gatewayFor(twoProviders({ cache: 'off' }));
    const s0 = strong.requests.length;
    await ask(off, 'design', 0);
    await ask(off, 'design', 0);
    expect(strong.requests.length - s0).toBe(2);

    const bounded = gatewayFor({ ...twoProviders(), cache: { mode: 'all', maxEntries: 2 } });
    for (const q of ['q1', 'q2', 'q3']) await bounded.chat({ messages: [{ role: 'user', content: q }], purpose: 'design' });
    expect(bounded.router.cache.size).toBe(2);
    const s1 = strong.requests.length;
    await bounded.chat({ messages: [{ role: 'user', content: 'q1' }], purpose: 'design' }); // evicted: asked again
    await bounded.chat({ messages: [{ role: 'user', content: 'q3' }], purpose: 'design' }); // kept
    expect(strong.requests.length - s1).toBe(1);
  });
});

describe('provider config is checked at start', () => {
  const bad = (config: unknown, extra: Record<string, string> = {}) => () => loadLlmConfig(env(config, extra));
  test('each mistake is named', () => {
    const p = { name: 'a', baseURL: 'http://127.0.0.1:1/v1', model: 'm' };
    expect(bad({ providers: [p, p] })).toThrow(/providers\[1\] "a": the name is used twice/);
    expect(bad({ providers: [p], routes: { design: ['b'] } })).toThrow(/routes\.design: no provider is named "b" \(known: a\)/);
    expect(bad({ providers: [{ ...p, apiKeyEnv: 'NOPE_KEY' }] })).toThrow(/apiKeyEnv names NOPE_KEY, which is not set/);
    expect(bad({ providers: [{ ...p, apiKeyEnv: 'sk-abc-123' }] })).toThrow(/apiKeyEnv: the name of an environment variable, not a key/);
    expect(bad({ providers: [{ ...p, apiKey: 'sk-inline' }] })).toThrow(/Unrecognized key: "apiKey": keys stay out of config files; name the environment variable that holds it with apiKeyEnv/);
    expect(bad({ providers: [{ name: 'x', model: 'm' }] })).toThrow(/needs baseURL or apiKeyEnv/);
    expect(bad({ providers: [p], routes: { summary: ["a"] } })).toThrow(/routes: Unrecognized key: "summary" \(roles: design, plan, step, agent, rerank, other, default\)/);
    expect(bad({ providers: [] })).toThrow(/providers: Too small: expected array to have >=1 items/);
    expect(() => loadLlmConfig({ AIML_LLM_PROVIDERS: '{nope' })).toThrow(/Invalid AIML_LLM_PROVIDERS: not valid JSON/);
    expect(() => loadLlmConfig({ AIML_LLM_CONFIG: '/no/such/llm.json' })).toThrow(/Invalid AIML_LLM_CONFIG \(\/no\/such\/llm\.json\): cannot read the file \(ENOENT\)/);
    expect(() => loadLlmConfig({ AIML_LLM_CONFIG: '/x.json', AIML_LLM_PROVIDERS: '{}' })).toThrow(/not both/);
  });

  test('a file works like the inline form; providers inherit the environment\'s limits', () => {
    const file = path.join(tmpDir('aiml-llmcfg-'), 'llm.json');
    fs.writeFileSync(file, JSON.stringify({ providers: [{ name: 'a', baseURL: 'http://127.0.0.1:1/v1', model: 'm', maxTokens: { design: 999 } }, { name: 'offline', type: 'local' }] }));
    const c = loadLlmConfig({ AIML_LLM_CONFIG: file, AIML_MAX_TOKENS: 'plan=777' });
    expect(c.routing?.providers.map((p) => [p.name, p.llm.provider, p.llm.model, p.llm.maxTokens?.design, p.llm.maxTokens?.plan, p.llm.timeoutMs])).toEqual([
      ['a', 'openai', 'm', 999, 777, 120_000],
      ['offline', 'local', 'local', 4096, 777, 540_000],
    ]);
    expect(c.model).toBe('m');
  });
});

describe('cache and breaker together', () => {
  test('a cached answer needs no provider, even one whose breaker is open, and leaves the breaker as it was', async () => {
    const home = tmpDir('aiml-breaker-cache-');
    const g = gatewayFor(twoProviders({ cooldownMs: 200 }), home);
    const s0 = strong.requests.length;
    const q = (content: string) => g.chat({ messages: [{ role: 'user', content }], purpose: 'design', temperature: 0 });
    await q('kept');
    strong.enqueue({ status: 503 });
    expect((await q('new')).provider?.name).toBe('backup'); // primary's breaker opens
    expect((await q('kept')).provider).toMatchObject({ name: 'primary', cached: true, skipped: [] });
    await new Promise((r) => setTimeout(r, 250));
    expect((await q('kept')).provider?.cached).toBe(true); // served while half-open: the probe stays free
    const probe = await q('after cool-down');
    expect(probe.provider).toMatchObject({ name: 'primary', skipped: [] });
    expect(strong.requests.length - s0).toBe(3);
  });
});
