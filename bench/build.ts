/**
 * npm run bench:build — BUILD orchestration figures on a real dev server, for a 10-step one-shot build,
 * auto-approved (approval none), scripted LLM answering in a fixed LLM_MS, check `node test.js`:
 *  1. overhead ratio = wall time of the build workflow ÷ wall time of the very same activity
 *     functions called in sequence without Temporal (same LLM, same checks), median over
 *     back-to-back pairs; target ≤ 1.10
 *  2. history of one such run: size ≤ 5 MB (10% of the 50 MB limit), ≤ 2,000 events,
 *     largest single payload ≤ 64 KB
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import type { BuildResult } from '../src/contracts';
import { installRuntimeLogger } from '../src/temporal/runtime';
import { buildDeps, createWorker } from '../src/worker-factory';
import { startScriptedLlm, type ChatRequestBody } from '../test/support/scripted-llm';
import { fixtureRepo, patch, planReply, stepReply, write } from '../test/build/fixtures';
import { historyFigures } from './payloads';
import { benchServer, percentile, verdict } from './support';

const LLM_MS = Number(process.env.BENCH_LLM_MS ?? 500);
const STEPS = 10;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const steps = Array.from({ length: STEPS }, (_, i) => ({ title: `Module ${i + 1}`, files: [{ path: `src/mod${i + 1}.js`, action: 'create' as const }, { path: 'test.js' }] }));

/** Step N: a new module of ~4 KB and one more assertion in test.js. */
function stepEdits(n: number) {
  const body = Array.from({ length: 60 }, (_, k) => `  // helper ${k}: documented behaviour of mod${n}, kept for realistic file sizes`).join('\n');
  return stepReply([
    write(`src/mod${n}.js`, `function mod${n}(x) {\n${body}\n  return x + ${n};\n}\n\nmodule.exports = { mod${n} };\n`, `module ${n}`),
    patch('test.js', [["console.log('ok');", `assert.strictEqual(require('./src/mod${n}').mod${n}(1), ${n + 1});\nconsole.log('ok');`]]),
  ]);
}

function respond(req: ChatRequestBody): { content: string; delayMs: number } {
  const schema = req.response_format?.json_schema?.name;
  if (schema === 'build_plan') return { ...planReply(steps, 'Ten modules'), delayMs: LLM_MS };
  const n = Number(/# Your step: (\d+)\./.exec(req.messages.map((m) => m.content).join('\n'))?.[1]);
  return { ...stepEdits(n), delayMs: LLM_MS };
}

/** The same work as the workflow, as direct calls: the baseline without orchestration. */
async function direct(acts: ReturnType<typeof createActivities>, workspace: string, id: string): Promise<void> {
  const prep = await acts.prepareBuild({ workspace, specPath: 'SPECS.md', checkCommand: 'node test.js' });
  const plan = await acts.planBuild({ workspace, specRef: prep.specRef, maxSteps: 12 });
  const expected = { ...plan.baseline };
  const records: { n: number; title: string; status: 'passed'; attempts: number; checkPassed: boolean; proposalRefs: string[] }[] = [];
  for (let n = 1; n <= plan.steps.length; n++) {
    const gen = await acts.generateStep({ workspace, specRef: prep.specRef, planRef: plan.planRef, step: n, attempt: 1, checkCommand: prep.checkCommand, expected });
    if (gen.kind !== 'proposal') throw new Error(`baseline step ${n}: ${gen.kind}`);
    const applied = await acts.applyStep({ workflowId: id, workspace, proposalRef: gen.proposalRef, step: n, attempt: 1, check: { command: prep.checkCommand!, timeoutMs: 60_000 } });
    if (applied.kind !== 'applied') throw new Error(`baseline step ${n}: conflict`);
    Object.assign(expected, applied.afterHashes);
    if (!applied.check?.passed) throw new Error(`baseline step ${n}: check failed`);
    records.push({ n, title: plan.steps[n - 1]!.title, status: 'passed', attempts: 1, checkPassed: true, proposalRefs: [gen.proposalRef] });
  }
  await acts.writeBuildReport({ workflowId: id, workspace, planRef: plan.planRef, specPath: prep.specPath, checkCommand: prep.checkCommand, reportFile: 'BUILD_REPORT.md', steps: records });
}

async function main(): Promise<void> {
  installRuntimeLogger({ AIML_LOG_LEVEL: 'ERROR' });
  const env = await benchServer();
  const address = env.connection.options.address;
  const llm = await startScriptedLlm();
  llm.setFallback((req) => respond(req));
  const client = new Client({ connection: env.connection, namespace: 'default' });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-home-'));
  const deps = buildDeps({ baseURL: llm.url, apiKey: 'bench', model: 'scripted', timeoutMs: 30_000, stream: true }, home);
  const connection = await NativeConnection.connect({ address });
  const taskQueue = 'bench-build';
  const worker = await createWorker({ connection, namespace: 'default', taskQueue, deps });
  const running = worker.run();
  const acts = createActivities(deps);

  const runWorkflow = async (tag: string) => {
    const ws = fixtureRepo();
    const t0 = performance.now();
    const h = await client.workflow.start('build', { taskQueue, workflowId: `bench-build-${tag}-${Date.now()}`, args: [{ specPath: 'SPECS.md', workspace: ws, approval: 'none', checkCommand: 'node test.js', stepMode: 'oneshot' }] });
    const result: BuildResult = await h.result();
    const wall = performance.now() - t0;
    if (result.filesChanged.length !== STEPS + 1) throw new Error(`expected ${STEPS + 1} files changed, got ${result.filesChanged.length}`);
    return { wall, handle: h };
  };
  const runDirect = async (tag: string) => {
    const ws = fixtureRepo();
    const t0 = performance.now();
    await direct(acts, ws, `bench-direct-${tag}-${Date.now()}`);
    return performance.now() - t0;
  };

  // Warm-up of both paths, then alternate so drift hits both alike.
  await runWorkflow('warm');
  await runDirect('warm');
  const wf: number[] = [];
  const base: number[] = [];
  let last: Awaited<ReturnType<typeof runWorkflow>> | undefined;
  for (let i = 0; i < RUNS; i++) {
    last = await runWorkflow(String(i));
    wf.push(last.wall);
    base.push(await runDirect(String(i)));
  }
  // Paired runs (one of each, back to back) so load from other processes hits both alike.
  const ratio = percentile(wf.map((w, i) => w / base[i]!), 50);
  const llmOnly = (STEPS + 1) * LLM_MS;
  console.log(`10-step build, auto-approved, scripted LLM at ${LLM_MS} ms per call (${STEPS + 1} calls), check "node test.js" after each step; median of ${RUNS}`);
  console.log(`  workflow wall time: ${percentile(wf, 50).toFixed(0)} ms  [${wf.map((x) => x.toFixed(0)).join(', ')}]`);
  console.log(`  direct calls (no Temporal): ${percentile(base, 50).toFixed(0)} ms  [${base.map((x) => x.toFixed(0)).join(', ')}]  (LLM latency alone: ${llmOnly} ms)`);
  console.log(`overhead ratio (workflow / direct, median of ${RUNS} back-to-back pairs): ${ratio.toFixed(3)}  [${wf.map((w, i) => (w / base[i]!).toFixed(3)).join(', ')}]  target <= 1.10  ${verdict(ratio <= 1.1)}`);

  const { history, bytes, events, largest } = await historyFigures(client, last!.handle.workflowId);
  // Orchestration time as history sees it: the run's span minus the time activities were running.
  const evs = history.events!;
  const at = (e: (typeof evs)[number]): number => Number(e.eventTime!.seconds) * 1000 + (e.eventTime!.nanos ?? 0) / 1e6;
  const startedAt = new Map(evs.filter((e) => e.activityTaskStartedEventAttributes).map((e) => [String(e.activityTaskStartedEventAttributes!.scheduledEventId), at(e)]));
  const completed = evs.filter((e) => e.activityTaskCompletedEventAttributes);
  const inActivities = completed.reduce((sum, e) => sum + at(e) - startedAt.get(String(e.activityTaskCompletedEventAttributes!.scheduledEventId))!, 0);
  const span = at(evs[evs.length - 1]!) - at(evs[0]!);
  console.log(`time outside activities (last run, from history): ${(span - inActivities).toFixed(0)} ms of ${span.toFixed(0)} ms, ${((span - inActivities) / completed.length).toFixed(1)} ms per activity (${completed.length} activities)`);
  console.log(`history size: ${(bytes / 1024).toFixed(1)} KB (${bytes} bytes)  target <= 5 MB  ${verdict(bytes <= 5 * 1024 * 1024)}`);
  console.log(`history events: ${events}  target <= 2000  ${verdict(events <= 2000)}`);
  console.log(`largest payload: ${(largest / 1024).toFixed(1)} KB (${largest} bytes)  target <= 64 KB  ${verdict(largest <= 64 * 1024)}`);

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
