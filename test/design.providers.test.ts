import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { loadLlmConfig } from '../src/config';
import { stateQuery, type ProviderUse } from '../src/contracts';
import { formatRun } from '../src/cli/run-view';
import { AimlClient } from '../src/client/aiml-client';
import { main } from '../src/cli/program';
import { draftReply, sampleDraft } from './support/fixtures';
import { startWorker, temporalAddress, testClient, tmpDir, uniqueId, waitFor, type TestWorker } from './support/env';
import { startScriptedLlm, type ScriptedLlm } from './support/scripted-llm';

/**
 * A design run over two providers, on the suite's dev server: the routing table is recorded at
 * start, a 503 from the first provider sends the draft to the second and the switch is in the
 * activity's result, the run's memo and `aiml status`; the breaker (a file in AIML_HOME) makes a
 * second run on another worker skip the first provider without asking it, and once the cool-down
 * is over a third run is answered by it again. And `aiml watch` marks a provider that stopped
 * mid-stream and the one that answers instead.
 */

const KEY = 'sk-provider-test-0123456789abcdef';
let primary: ScriptedLlm;
let backup: ScriptedLlm;
let client: Client;
let closeClient: () => Promise<void>;
const home = tmpDir('aiml-providers-home-');
const taskQueue = uniqueId('tq-providers');

beforeAll(async () => {
  [primary, backup] = await Promise.all([startScriptedLlm(), startScriptedLlm()]);
  ({ client, close: closeClient } = await testClient());
});
afterAll(async () => {
  await closeClient?.();
  await primary?.close();
  await backup?.close();
});

/** A worker whose design calls go to primary, then backup; `idleTimeoutMs`: how long primary may go silent mid-stream. */
function workerFor(opts: { stateDir?: string; idleTimeoutMs?: number } = {}): Promise<TestWorker> {
  const llm = loadLlmConfig({
    AIML_LLM_PROVIDERS: JSON.stringify({
      providers: [
        { name: 'primary', baseURL: primary.url, model: 'strong-model', apiKeyEnv: 'PRIMARY_KEY', ...(opts.idleTimeoutMs ? { idleTimeoutMs: opts.idleTimeoutMs } : {}) },
        { name: 'backup', baseURL: backup.url, model: 'small-model' },
      ],
      routes: { design: ['primary', 'backup'], default: ['backup'] },
      breaker: { failures: 1, cooldownMs: 600_000 },
    }),
    PRIMARY_KEY: KEY,
    AIML_LLM_TIMEOUT_MS: '30000',
  });
  return startWorker({ llmUrl: primary.url, llm, stateDir: opts.stateDir ?? home, taskQueue });
}

async function designAtGate(): Promise<WorkflowHandle> {
  const handle = await client.workflow.start('design', { taskQueue, workflowId: uniqueId('design-providers'), args: [{ brief: 'A docs chatbot with provider fallback', workspace: tmpDir() }] });
  await waitFor(async () => ((await handle.query(stateQuery)).status === 'awaiting_approval' ? true : undefined), 'the design gate', 60_000);
  return handle;
}

/** Watch's text with each "[… n characters]" turned into n placeholder characters, and whether it is, so read, the start of `full`. */
const reassemble = (text: string): string => text.replace(/\[… (\d+) characters\]/g, (_m, n: string) => '\u0000'.repeat(Number(n)));
const matchesPrefix = (shown: string, full: string): boolean => shown.length <= full.length && [...shown].every((c, i) => c === '\u0000' || c === full[i]);

/** Every payload in the run's history, decoded as text (what anyone reading the history sees). */
async function historyText(handle: WorkflowHandle): Promise<{ text: string; draftResult: { provider?: ProviderUse } }> {
  const history = await handle.fetchHistory();
  const texts: string[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) texts.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(history);
  const completed = history.events!.filter((e) => e.activityTaskCompletedEventAttributes).map((e) => JSON.parse(Buffer.from(e.activityTaskCompletedEventAttributes!.result!.payloads![0]!.data!).toString('utf8')));
  return { text: texts.join('\n'), draftResult: completed.find((r) => r.draft) };
}

test('fallback is recorded in the run, the breaker holds into a run on another worker, and the first provider is back after the cool-down', async () => {
  const aiml = new AimlClient(client, { namespace: 'default', taskQueue });
  let worker = await workerFor();
  try {
    // Run 1: the first provider is down (503): the second drafts.
    primary.enqueue({ status: 503, error: 'overloaded' });
    backup.enqueue(draftReply('from-backup'));
    const p0 = primary.requests.length;
    const run1 = await designAtGate();
    expect(primary.requests.length - p0).toBe(1);

    const view1 = await aiml.describe(run1.workflowId);
    expect(view1.llm?.routes).toContain(`design: primary (strong-model at ${primary.url}) → backup (small-model at ${backup.url})`);
    expect(view1.llm?.routes).toContain(`plan, step, agent, rerank, other: backup (small-model at ${backup.url})`);
    expect(view1.llm?.switchTotal).toBe(1);
    expect(view1.llm?.switches[0]).toMatch(/^\d\d:\d\d:\d\dZ design → backup \(small-model\); skipped primary: LLM_SERVER_ERROR 503$/);
    const shown = formatRun(view1);
    expect(shown).toContain('switches: 1');
    expect(shown).toContain('model:   design → backup (small-model); skipped primary: LLM_SERVER_ERROR 503');

    // In history: the routing table (the llmRoutes marker) and the draft's result naming its provider.
    const h1 = await historyText(run1);
    expect(h1.draftResult.provider).toEqual({ purpose: 'design', name: 'backup', model: 'small-model', skipped: [{ name: 'primary', reason: 'LLM_SERVER_ERROR 503' }] });
    expect(h1.text).toContain('primary (strong-model at');
    expect(h1.text).not.toContain(KEY);
    if (process.env.AIML_RECORD_HISTORIES === '1') {
      const json = execFileSync(process.env.AIML_TEST_TEMPORAL_BIN!, ['workflow', 'show', '-w', run1.workflowId, '--address', temporalAddress(), '-o', 'json'], { encoding: 'utf8' });
      fs.writeFileSync(path.join(__dirname, 'histories', 'design-provider-fallback.json'), json);
    }
    await run1.cancel();

    // Run 2, on a new worker sharing AIML_HOME: the breaker is open, the first provider is not asked.
    await worker.stop();
    worker = await workerFor();
    backup.enqueue(draftReply('second'));
    const p1 = primary.requests.length;
    const run2 = await designAtGate();
    expect(primary.requests.length).toBe(p1);
    const watched: string[] = [];
    await aiml.watch(run2.workflowId, { onSwitch: (line) => watched.push(line) });
    expect(watched).toHaveLength(1);
    expect(watched[0]).toContain('skipped primary: breaker open until');
    const view2 = await aiml.describe(run2.workflowId);
    expect(view2.llm?.switches[0]).toMatch(/design → backup \(small-model\); skipped primary: breaker open until \d\d:\d\d:\d\dZ after LLM_SERVER_ERROR 503$/);
    await run2.cancel();

    // The cool-down ends (moved to now rather than waited for; test/llm/router.test.ts waits a real one): run 3 goes to the first provider again.
    const file = path.join(home, 'llm-breaker.json');
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { openUntil: number }>;
    expect(Object.values(state)[0]?.openUntil).toBeGreaterThan(Date.now());
    for (const e of Object.values(state)) e.openUntil = Date.now() - 1;
    fs.writeFileSync(file, JSON.stringify(state));
    primary.enqueue(draftReply('primary-again'));
    const run3 = await designAtGate();
    expect(primary.requests.length).toBe(p1 + 1);
    expect(primary.authorizations.at(-1)).toBe(`Bearer ${KEY}`);
    const view3 = await aiml.describe(run3.workflowId);
    expect(view3.llm?.last).toBe('design → primary (strong-model)');
    expect(view3.llm?.switchTotal).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({});
    await run3.cancel();
  } finally {
    await worker.stop();
  }
});

test('aiml watch marks the provider that stopped mid-stream and the one that answers instead', async () => {
  // Its own AIML_HOME: a fresh breaker, so the first provider is asked.
  const worker = await workerFor({ stateDir: tmpDir('aiml-providers-stall-'), idleTimeoutMs: 1500 });
  try {
    const stalled = JSON.stringify(sampleDraft('from-primary'));
    const answered = JSON.stringify(sampleDraft('from-backup'));
    // The first provider streams its draft, then goes silent (stalled); the second streams a whole one (~4 s each: watch sees both).
    primary.enqueue({ content: stalled, chunkChars: 40, chunkDelayMs: 60, hang: 'stall' });
    backup.enqueue({ content: answered, chunkChars: 40, chunkDelayMs: 60 });
    const handle = await client.workflow.start('design', { taskQueue, workflowId: uniqueId('design-stall'), args: [{ brief: 'A docs chatbot with provider fallback', workspace: tmpDir() }] });
    let out = '';
    const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), AIML_TASK_QUEUE: taskQueue };
    const code = await main(['watch', handle.workflowId], env, { out: (t) => (out += `${t}\n`), err: (t) => (out += `${t}\n`), write: (t) => (out += t) });
    expect(code).toBe(0);
    expect(out).toContain('waiting: gate design/spec');
    // The streamed text, up to the next progress or provider-switch line: one marker, on a line of its own, between the two providers' texts.
    const streamed = /drafting the architecture\n([\s\S]+?)\n(?:\[\d\d:\d\d:\d\d\]|  provider switch:)/.exec(out)?.[1] ?? '';
    const parts = streamed.split(/^--- primary stopped \(LLM_STALLED\); backup answers ---\n/m);
    expect(parts).toHaveLength(2);
    const [before, after] = parts as [string, string];
    expect(before.trim().length).toBeGreaterThan(0);
    expect(before.endsWith('\n')).toBe(true);
    expect(matchesPrefix(reassemble(before.trimEnd()), stalled)).toBe(true); // the first provider's text, in order, before it stopped
    expect(matchesPrefix(reassemble(after), answered)).toBe(true); // the second's from its beginning, none of the first's
    expect(reassemble(after).length).toBeGreaterThan(answered.length / 2);
    expect(out).toMatch(/provider switch: \d\d:\d\d:\d\dZ design → backup \(small-model\); skipped primary: LLM_STALLED/);
    await handle.cancel();
  } finally {
    await worker.stop();
  }
});
