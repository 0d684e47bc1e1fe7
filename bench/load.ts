/**
 * npm run bench:load [-- --runs N] [-- --parked M] [-- --quick] — load figures on a real dev server
 * with one compiled worker process (dist/worker.js, as `aiml worker` runs), scripted LLM:
 *  1. N concurrent design runs (default 200), auto-approved, every LLM call answered after 500 ms:
 *     all must complete; throughput (runs/s), p50/p99 run time (start call → result), worker RSS peak
 *  2. M runs parked at their approval gate (default 2000), worker started with a small workflow
 *     cache (AIML_MAX_CACHED_WORKFLOWS): worker RSS while they wait (target ≤ 300 MB), then all
 *     approved by signal: time until every run has completed
 * `--quick` uses 20 and 100.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { approveSignal } from '../src/contracts';
import { installRuntimeLogger } from '../src/temporal/runtime';
import { draftReply } from '../test/support/fixtures';
import { spawnWorker, type WorkerProcess } from '../test/support/processes';
import { startScriptedLlm } from '../test/support/scripted-llm';
import { benchServer, ms, percentile, verdict } from './support';

const LLM_MS = 500;
const CACHE = 20; // workflows the parked-run worker keeps in memory
const BATCH = 50; // client calls in flight at once

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} needs a positive whole number, got "${process.argv[i + 1] ?? ''}"`);
  return n;
}

/** Current and peak resident memory of a process, in MB (VmRSS, VmHWM from /proc). */
function memory(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Runs `fn` over `items`, at most BATCH at a time. */
async function inBatches<T, R>(items: T[], fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(...(await Promise.all(items.slice(i, i + BATCH).map((x, j) => fn(x, i + j)))));
  return out;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const runs = option('runs', quick ? 20 : 200);
  const parkedRuns = option('parked', quick ? 100 : 2000);
  installRuntimeLogger({ AIML_LOG_LEVEL: 'ERROR' });
  const env = await benchServer();
  const address = env.connection.options.address;
  const llm = await startScriptedLlm();
  const client = new Client({ connection: env.connection, namespace: 'default' });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-load-'));
  const workspace = (id: string): string => {
    const dir = path.join(root, id);
    fs.mkdirSync(dir);
    return dir;
  };
  const worker = (taskQueue: string, extra: Record<string, string> = {}): Promise<WorkerProcess> =>
    spawnWorker(
      { PATH: process.env.PATH, HOME: process.env.HOME, TEMPORAL_ADDRESS: address, AIML_TASK_QUEUE: taskQueue, OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'bench', AIML_HOME: path.join(root, '.home'), AIML_LOG_LEVEL: 'ERROR', ...extra },
      60_000,
      { compiled: true },
    );
  const tag = Date.now();

  // 1. N concurrent auto-approved runs.
  llm.setFallback((_r, i) => draftReply(`load-${i}`, LLM_MS));
  const loadQueue = 'bench-load';
  const w1 = await worker(loadQueue);
  const idle1 = memory(w1.child.pid!).rss;
  const t0 = performance.now();
  const handles = await inBatches(Array.from({ length: runs }), async (_x, i) => {
    const id = `load-${tag}-${i}`;
    const started = performance.now();
    const h = await client.workflow.start('design', { taskQueue: loadQueue, workflowId: id, args: [{ brief: `Load run ${i}: RAG over docs`, workspace: workspace(id), approval: { mode: 'auto' } }] });
    return { h, started, ws: path.join(root, id) };
  });
  const times = await Promise.all(
    handles.map(async ({ h, started, ws }) => {
      const result = await h.result();
      if (!fs.existsSync(path.resolve(ws, result.specPath))) throw new Error(`${h.workflowId} completed without writing ${result.specPath}`);
      return performance.now() - started;
    }),
  );
  const wall = performance.now() - t0;
  const mem1 = memory(w1.child.pid!);
  await w1.stop();
  console.log(`${runs} concurrent design runs, auto-approved, scripted LLM at ${LLM_MS} ms per call, one worker: ${times.length}/${runs} completed`);
  console.log(`  throughput: ${(runs / (wall / 1000)).toFixed(2)} runs/s (${(wall / 1000).toFixed(1)} s for all)`);
  console.log(`  run time (start call -> result): p50 ${ms(percentile(times, 50))}, p99 ${ms(percentile(times, 99))}`);
  console.log(`  worker RSS: idle ${idle1.toFixed(0)} MB, peak ${mem1.peak.toFixed(0)} MB`);

  // 2. M runs parked at the gate, then approved all at once.
  llm.setFallback((_r, i) => draftReply(`parked-${i}`, 5));
  const parkedQueue = 'bench-load-parked';
  const w2 = await worker(parkedQueue, { AIML_MAX_CACHED_WORKFLOWS: String(CACHE) });
  const idle2 = memory(w2.child.pid!).rss;
  const ids = Array.from({ length: parkedRuns }, (_x, i) => `parked-${tag}-${i}`);
  await inBatches(ids, (id, i) => client.workflow.start('design', { taskQueue: parkedQueue, workflowId: id, args: [{ brief: `Parked run ${i}`, workspace: workspace(id) }] }));
  const waitFor = async (query: string, target: number, what: string): Promise<void> => {
    const since = Date.now();
    for (;;) {
      const { count } = await client.workflow.count(`TaskQueue = '${parkedQueue}' AND ${query}`);
      if (count >= target) return;
      if (Date.now() - since > 900_000) throw new Error(`only ${count} of ${target} runs ${what}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  };
  await waitFor(`AimlAwaitingApproval = true AND ExecutionStatus = 'Running'`, parkedRuns, 'reached the gate');
  await new Promise((res) => setTimeout(res, 3000)); // let the last workflow tasks settle
  const parked = memory(w2.child.pid!);
  console.log(`${parkedRuns} runs parked at the approval gate (worker cache ${CACHE} workflows):`);
  console.log(`  worker RSS: idle ${idle2.toFixed(0)} MB, parked ${parked.rss.toFixed(0)} MB (peak so far ${parked.peak.toFixed(0)} MB)  target <= 300 MB  ${verdict(parked.rss <= 300)}`);
  const d0 = performance.now();
  await inBatches(ids, (id) => client.workflow.getHandle(id).signal(approveSignal, { by: 'bench' }));
  const signalled = performance.now() - d0;
  await waitFor(`ExecutionStatus = 'Completed'`, parkedRuns, 'completed after approval');
  const drain = performance.now() - d0;
  const after = memory(w2.child.pid!);
  console.log(`  approve all (signals sent in ${ms(signalled)}): drained in ${(drain / 1000).toFixed(1)} s (${(parkedRuns / (drain / 1000)).toFixed(1)} runs/s); worker RSS peak ${after.peak.toFixed(0)} MB`);
  await w2.stop();

  await llm.close();
  await env.teardown();
  fs.rmSync(root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1); // servers and workers may still hold the event loop
});
