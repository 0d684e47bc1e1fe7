/**
 * npm run bench:agent — the BUILD agent loop's orchestration cost on a real dev server. One plan
 * step of 50 tool calls in 25 turns (per turn: read_file + grep, or write_file + run_command every
 * fifth turn), then finish_step and the check; auto-approved, scripted LLM at BENCH_LLM_MS per turn.
 *  1. overhead per tool call = (workflow wall time − time inside activities, LLM and tools, as the
 *     union of their intervals measured around the activity functions) ÷ 50, p50 over BENCH_RUNS
 *     runs; target ≤ 30 ms. Also shown: the same functions called in order without Temporal.
 *  2. history of one such run: events ≤ 400, largest payload ≤ 64 KB (and its total bytes)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import type { ToolResult } from '../src/activities/agent-types';
import type { BuildResult } from '../src/contracts';
import { installRuntimeLogger } from '../src/temporal/runtime';
import { buildDeps } from '../src/worker-factory';
import { startScriptedLlm, type ChatRequestBody, type Reply } from '../test/support/scripted-llm';
import { fixtureRepo, planReply } from '../test/build/fixtures';
import { benchServer, percentile, verdict } from './support';
import { historyFigures } from './payloads';

const LLM_MS = Number(process.env.BENCH_LLM_MS ?? 50);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TURNS = 25;
const CALLS = TURNS * 2;

/** Turn k of the step, by how many assistant messages the conversation has. */
function respond(req: ChatRequestBody): Reply {
  if (req.response_format?.json_schema?.name === 'build_plan') return { ...planReply([{ title: 'Probe and extend', files: [{ path: 'src/text.js' }] }]), delayMs: LLM_MS };
  const k = req.messages.filter((m) => m.role === 'assistant').length + 1;
  const call = (name: string, args: Record<string, unknown>) => ({ name, arguments: args });
  if (k > TURNS) return { content: '', toolCalls: [call('finish_step', { summary: 'Probed the code and added helper modules.' })], delayMs: LLM_MS };
  if (k % 5 === 0) {
    return { content: '', toolCalls: [call('write_file', { path: `src/helper${k}.js`, content: `module.exports = () => ${k};\n` }), call('run_command', { command: 'node test.js' })], delayMs: LLM_MS };
  }
  return { content: '', toolCalls: [call('read_file', { path: 'src/text.js' }), call('grep', { pattern: 'shout' })], delayMs: LLM_MS };
}

/** The same work as the workflow, as direct calls in the same order: the baseline without orchestration. */
async function direct(acts: ReturnType<typeof createActivities>, workspace: string, id: string): Promise<void> {
  const prep = await acts.prepareBuild({ workspace, specPath: 'SPECS.md', checkCommand: 'node test.js' });
  const plan = await acts.planBuild({ workspace, specRef: prep.specRef, maxSteps: 12 });
  const expected = { ...plan.baseline };
  let conversationRef: string | undefined;
  let results: ToolResult[] = [];
  let seq = 0;
  for (let turn = 1; ; turn++) {
    const t = await acts.agentTurn({
      conversationRef,
      start: conversationRef ? undefined : { specRef: prep.specRef, planRef: plan.planRef, step: 1, checkCommand: prep.checkCommand, policy: 'bench' },
      step: 1,
      turn,
      results,
      notes: [],
      allowCommands: ['node test.js'],
    });
    conversationRef = t.conversationRef;
    results = [];
    const ref = (c: (typeof t.calls)[number]) => ({ id: c.id, key: c.key, name: c.name, argsRef: c.argsRef });
    if (t.calls.some((c) => c.kind === 'finish')) {
      const check = await acts.agentCheck({ workspace, command: 'node test.js', timeoutMs: 60_000 });
      if (!check.check.passed) throw new Error('baseline: check failed');
      break;
    }
    const reads = await Promise.all(t.calls.filter((c) => c.kind === 'read').map((c) => acts.agentRead({ workspace, call: ref(c) })));
    results.push(...reads.map((r) => r.result));
    for (const c of t.calls) {
      if (c.kind === 'edit') {
        const out = await acts.agentEdit({ workflowId: id, workspace, step: 1, seq: ++seq, call: ref(c), expected, apply: true });
        if (out.kind === 'applied') Object.assign(expected, out.afterHashes);
        results.push(out.result);
      } else if (c.kind === 'command') {
        results.push((await acts.agentCommand({ workflowId: id, workspace, step: 1, call: ref(c), timeoutMs: 60_000 })).result);
      }
    }
  }
  await acts.writeBuildReport({ workflowId: id, workspace, planRef: plan.planRef, specPath: prep.specPath, checkCommand: prep.checkCommand, reportFile: 'BUILD_REPORT.md', steps: [{ n: 1, title: 'Probe and extend', status: 'passed', attempts: 1, checkPassed: true, proposalRefs: [] }] });
}

/** Total time covered by possibly overlapping intervals (concurrent reads count once). */
function union(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of sorted) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

async function main(): Promise<void> {
  installRuntimeLogger({ AIML_LOG_LEVEL: 'ERROR' });
  const env = await benchServer();
  const llm = await startScriptedLlm();
  llm.setFallback((req) => respond(req));
  const client = new Client({ connection: env.connection, namespace: 'default' });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-home-'));
  const deps = buildDeps({ baseURL: llm.url, apiKey: 'bench', model: 'scripted', timeoutMs: 30_000, stream: true }, home);
  const connection = await NativeConnection.connect({ address: env.connection.options.address });
  const taskQueue = 'bench-agent';
  const acts = createActivities(deps);
  // The worker runs the same activity functions, timed: every call's [start, end] is recorded.
  const spans: [number, number][] = [];
  const timed = Object.fromEntries(
    Object.entries(acts).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        } finally {
          spans.push([t0, performance.now()]);
        }
      },
    ]),
  );
  const worker = await Worker.create({ connection, namespace: 'default', taskQueue, activities: timed, workflowsPath: require.resolve('../src/workflows') });
  const running = worker.run();

  const runWorkflow = async (tag: string) => {
    const ws = fixtureRepo();
    spans.length = 0;
    const t0 = performance.now();
    const h = await client.workflow.start('build', { taskQueue, workflowId: `bench-agent-${tag}-${Date.now()}`, args: [{ specPath: 'SPECS.md', workspace: ws, approval: 'none', checkCommand: 'node test.js' }] });
    const result: BuildResult = await h.result();
    const wall = performance.now() - t0;
    const inActivities = union(spans);
    if (result.steps[0]!.status !== 'passed' || result.filesChanged.length !== TURNS / 5) throw new Error(`unexpected result: ${JSON.stringify(result.steps)} ${result.filesChanged}`);
    return { wall, inActivities, handle: h };
  };
  const runDirect = async (tag: string) => {
    const ws = fixtureRepo();
    const t0 = performance.now();
    await direct(acts, ws, `bench-agent-direct-${tag}-${Date.now()}`);
    return performance.now() - t0;
  };

  await runWorkflow('warm');
  await runDirect('warm');
  const wf: number[] = [];
  const inside: number[] = [];
  const base: number[] = [];
  let last: Awaited<ReturnType<typeof runWorkflow>> | undefined;
  for (let i = 0; i < RUNS; i++) {
    last = await runWorkflow(String(i));
    wf.push(last.wall);
    inside.push(last.inActivities);
    base.push(await runDirect(String(i)));
  }
  const perCall = wf.map((w, i) => (w - inside[i]!) / CALLS);
  const p50 = percentile(perCall, 50);
  console.log(`one agent step: ${CALLS} tool calls in ${TURNS} turns (+ finish_step and the check), scripted LLM at ${LLM_MS} ms per turn, auto-approved; ${RUNS} runs`);
  console.log(`  workflow wall time: ${percentile(wf, 50).toFixed(0)} ms  [${wf.map((x) => x.toFixed(0)).join(', ')}]`);
  console.log(`  of which inside activities (LLM and tools): ${percentile(inside, 50).toFixed(0)} ms  [${inside.map((x) => x.toFixed(0)).join(', ')}]`);
  console.log(`  the same calls without Temporal, for comparison: ${percentile(base, 50).toFixed(0)} ms  [${base.map((x) => x.toFixed(0)).join(', ')}]`);
  console.log(`orchestration overhead per tool call (p50): ${p50.toFixed(1)} ms  [${perCall.map((x) => x.toFixed(1)).join(', ')}]  target <= 30 ms  ${verdict(p50 <= 30)}`);

  const { bytes, events, largest } = await historyFigures(client, last!.handle.workflowId);
  console.log(`history of the ${CALLS}-tool-call step: ${events} events  target <= 400  ${verdict(events <= 400)}`);
  console.log(`  total ${(bytes / 1024).toFixed(1)} KB (${bytes} bytes); largest payload ${(largest / 1024).toFixed(1)} KB (${largest} bytes)  target <= 64 KB  ${verdict(largest <= 64 * 1024)}`);

  worker.shutdown();
  await running;
  await connection.close();
  await llm.close();
  await env.teardown();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
