/**
 * The gateway half of `npm run bench:llm`, against the scripted OpenAI-compatible server (no model):
 *  1. gateway overhead per call, the server's latency excluded: each call through the gateway
 *     (router, breaker, cache, provider client) is paired with the very same request sent raw
 *     with fetch, back to back; overhead = gateway time − raw time, p50 and p95 over the pairs
 *     (target p50 ≤ 5 ms). Also the router's own share: router time − provider client time.
 *  2. cacheable prefix fraction over a design + build run (real dev server, real workflows,
 *     auto-approved, BUILD in agent mode, 3 steps of 5 turns): for each request, the longest common prefix in bytes
 *     of what the provider reads (tools, response format, then the messages in order) with the
 *     previous request of the same role; fraction = Σ prefix bytes ÷ Σ request bytes (target ≥ 0.8).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLlmConfig } from '../src/config';
import type { BuildResult, DesignResult } from '../src/contracts';
import { LlmGateway, type ChatModel } from '../src/llm/gateway';
import { installRuntimeLogger } from '../src/temporal/runtime';
import { draftReply } from '../test/support/fixtures';
import { startScriptedLlm, type ChatRequestBody, type ScriptedLlm } from '../test/support/scripted-llm';
import { agentReplies, fixtureRepo, planReply, write } from '../test/build/fixtures';
import { ms, percentile, verdict, withBenchWorker } from './support';

const CALLS = Number(process.env.BENCH_GATEWAY_CALLS ?? 300);
const load = (): string => os.loadavg().map((n) => n.toFixed(1)).join(' ');

/** A prompt the size of a real one (~8 KB of spec), varied per call so nothing is served from a cache. */
function messages(i: number) {
  const spec = Array.from({ length: 80 }, (_, k) => `- requirement ${k}: the service answers from the documentation index, with citations (${k})`).join('\n');
  return [
    { role: 'system' as const, content: 'You are a senior AI/ML engineer. Answer briefly.' },
    { role: 'user' as const, content: `# Spec\n${spec}\n\n# Question ${i}\nWhich vector store fits?` },
  ];
}

async function overhead(llm: ScriptedLlm): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-gw-'));
  const env = {
    AIML_LLM_PROVIDERS: JSON.stringify({
      providers: [
        { name: 'primary', baseURL: llm.url, model: 'strong' },
        { name: 'backup', baseURL: llm.url, model: 'small' },
      ],
      routes: { design: ['primary', 'backup'], default: ['backup', 'primary'] },
    }),
  };
  for (const stream of [false, true]) {
    const gateway = new LlmGateway(loadLlmConfig({ ...env, AIML_LLM_STREAM: String(stream) }), { stateDir: home });
    // The router's own share: time inside router.chat minus time inside the provider client it calls.
    let inner = 0;
    for (const m of new Set([...gateway.router.route('design'), ...gateway.router.route('plan')])) {
      const model = m.model as ChatModel;
      const chat = model.chat.bind(model);
      model.chat = async (req) => {
        const t = performance.now();
        try {
          return await chat(req);
        } finally {
          inner += performance.now() - t;
        }
      };
    }
    const diffs: number[] = [];
    const routerOnly: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < CALLS + 30; i++) {
      const msgs = messages(i);
      const body = JSON.stringify({ model: 'strong', messages: msgs, temperature: 0, max_tokens: 4096, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) });
      const r0 = performance.now();
      const res = await fetch(`${llm.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer not-needed' }, body });
      await res.text();
      const rawMs = performance.now() - r0;
      inner = 0;
      const g0 = performance.now();
      await gateway.chat({ messages: msgs, purpose: 'design', temperature: 0 });
      const gatewayMs = performance.now() - g0;
      if (i < 30) continue; // warm-up: connections, JIT
      raw.push(rawMs);
      diffs.push(gatewayMs - rawMs);
      routerOnly.push(gatewayMs - inner);
    }
    console.log(
      `gateway overhead per call (${stream ? 'SSE' : 'JSON'}, ${CALLS} calls, ~8 KB prompt, 2 providers, breaker file, cache on): ` +
        `p50 ${ms(percentile(diffs, 50))}, p95 ${ms(percentile(diffs, 95))} over a raw fetch of the same request (raw p50 ${ms(percentile(raw, 50))}); ` +
        `router alone p50 ${ms(percentile(routerOnly, 50))}, p95 ${ms(percentile(routerOnly, 95))} — target p50 ≤ 5 ms: ${verdict(percentile(diffs, 50) <= 5)}`,
    );
    await gateway.close();
  }
}

/** What the provider reads, in order: tools, response format, then every message. */
function promptBytes(req: ChatRequestBody): string {
  const head = JSON.stringify({ tools: req.tools ?? null, response_format: req.response_format ?? null });
  return head + req.messages.map((m) => `\n<${m.role}>${m.content ?? ''}${m.tool_calls ? JSON.stringify(m.tool_calls) : ''}${m.tool_call_id ?? ''}`).join('');
}

function roleOf(req: ChatRequestBody): string {
  const schema = req.response_format?.json_schema?.name;
  if (schema === 'architecture_draft') return 'design';
  if (schema === 'build_plan') return 'plan';
  if (schema === 'step_edits') return 'step';
  return req.tools?.length ? 'agent' : 'other';
}

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return Buffer.byteLength(a.slice(0, i));
}

/**
 * The scripted model's answers. BUILD steps take five agent turns each, as a small real step does:
 * list the folder, read a file, write the module, grep for its use, finish.
 */
function respond(req: ChatRequestBody): { content: string; toolCalls?: { name: string; arguments: Record<string, unknown> }[] } {
  const role = roleOf(req);
  if (role === 'design') return draftReply('bench');
  if (role === 'plan') return planReply([1, 2, 3].map((n) => ({ title: `Module ${n}`, files: [{ path: `src/mod${n}.js`, action: 'create' as const }] })), 'Three modules');
  const step = Number(/# Your step: (\d+)\./.exec(req.messages.map((m) => m.content ?? '').join('\n'))?.[1] ?? 1);
  const turn = req.messages.filter((m) => m.role === 'assistant').length;
  const [writeTurn, finishTurn] = agentReplies([write(`src/mod${step}.js`, `module.exports = { mod${step}: (x) => x + ${step} };\n`, `module ${step}`)]);
  const turns = [
    { content: '', toolCalls: [{ name: 'list_files', arguments: { path: 'src' } }] },
    { content: '', toolCalls: [{ name: 'read_file', arguments: { path: 'src/text.js' } }] },
    writeTurn!,
    { content: '', toolCalls: [{ name: 'grep', arguments: { pattern: `mod${step}` } }] },
    finishTurn!,
  ];
  return turns[Math.min(turn, turns.length - 1)]!;
}

async function prefixes(llm: ScriptedLlm): Promise<void> {
  llm.setFallback((req) => respond(req));
  installRuntimeLogger({ AIML_LOG_LEVEL: 'ERROR' });
  await withBenchWorker({ baseURL: llm.url, apiKey: 'not-needed', model: 'scripted', timeoutMs: 30_000, stream: true }, 'bench-prefix', async (client) => {
    const workspace = fixtureRepo();
    const start = llm.requests.length;
    const design = await client.workflow.execute('design', { taskQueue: 'bench-prefix', workflowId: `bench-prefix-design-${Date.now()}`, args: [{ brief: 'A support chatbot that answers from product documentation', workspace, specFile: 'DESIGN.md', approval: { mode: 'auto' } }] });
    await client.workflow.execute('build', { taskQueue: 'bench-prefix', workflowId: `bench-prefix-build-${Date.now()}`, args: [{ workspace, specPath: (design as DesignResult).specPath, approval: 'none', checkCommand: 'node test.js' }] }).then((r) => r as BuildResult);
    const byRole = new Map<string, { prev?: string; prefix: number; total: number; calls: number }>();
    for (const req of llm.requests.slice(start)) {
      const role = roleOf(req);
      const text = promptBytes(req);
      const r = byRole.get(role) ?? { prefix: 0, total: 0, calls: 0 };
      const common = r.prev === undefined ? 0 : commonPrefix(r.prev, text);
      if (process.env.BENCH_PREFIX_DEBUG) console.log(`  ${role} call ${r.calls + 1}: ${Buffer.byteLength(text)} B, common prefix ${common} B; diverges at: ${JSON.stringify(text.slice(common, common + 80))}`);
      r.prefix += common;
      r.total += Buffer.byteLength(text);
      r.calls += 1;
      r.prev = text;
      byRole.set(role, r);
    }
    const prefix = [...byRole.values()].reduce((n, r) => n + r.prefix, 0);
    const total = [...byRole.values()].reduce((n, r) => n + r.total, 0);
    const fraction = prefix / total;
    console.log(`cacheable prefix over a design + build run (${llm.requests.length - start} calls; bytes of the prompt as sent; a role's first call counts 0): ${fraction.toFixed(3)} — target ≥ 0.8: ${verdict(fraction >= 0.8)}`);
    for (const [role, r] of byRole) console.log(`  ${role}: ${r.calls} call(s), ${(r.total / 1024).toFixed(1)} KB, prefix ${(r.prefix / Math.max(1, r.total)).toFixed(3)}`);
  });
}

export async function gatewayBench(): Promise<void> {
  console.log(`gateway bench; load average ${load()}`);
  const llm = await startScriptedLlm();
  llm.setFallback(() => ({ content: 'A short scripted answer.' }));
  try {
    await overhead(llm);
    if (!process.argv.includes('--overhead')) await prefixes(llm);
  } finally {
    await llm.close();
  }
  console.log(`load average after: ${load()}`);
}
