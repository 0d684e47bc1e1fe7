/**
 * npm run bench:load [-- --runs N] [-- --parked M] [-- --quick] [-- --worker-env K=V ...] — load
 * figures on a real dev server with one compiled worker process (dist/worker.js, as `aiml worker`
 * runs, with its default settings), scripted LLM:
 *  1. N concurrent design runs (default 200), auto-approved, every LLM call answered after 500 ms:
 *     all must complete; throughput (runs/s), p50/p99 run time (start call → result), worker RSS peak
 *  2. M runs parked at their approval gate (default 2000): worker memory while they wait (target
 *     RSS ≤ 300 MB, with its breakdown), then all approved by signal: time until every run has
 *     completed (bench/load-parked.ts, which also runs alone)
 * `--quick` uses 20 and 100.
 */
import fs from 'node:fs';
import path from 'node:path';
import { draftReply } from '../test/support/fixtures';
import { memory } from './load-memory';
import { parkedBench } from './load-parked';
import { inBatches, loadRig, option } from './load-rig';
import { ms, percentile } from './support';

const LLM_MS = 500;

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const runs = option('runs', quick ? 20 : 200);
  const parkedRuns = option('parked', quick ? 100 : 2000);
  const rig = await loadRig();

  // 1. N concurrent auto-approved runs.
  rig.llm.setFallback((_r, i) => draftReply(`load-${i}`, LLM_MS));
  const loadQueue = 'bench-load';
  const w1 = await rig.worker(loadQueue);
  const idle1 = memory(w1.child.pid!).rss;
  const t0 = performance.now();
  const handles = await inBatches(Array.from({ length: runs }), async (_x, i) => {
    const id = `load-${rig.tag}-${i}`;
    const started = performance.now();
    const ws = rig.workspace(id);
    const h = await rig.client.workflow.start('design', { taskQueue: loadQueue, workflowId: id, args: [{ brief: `Load run ${i}: RAG over docs`, workspace: ws, approval: { mode: 'auto' } }] });
    return { h, started, ws };
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
  await parkedBench(rig, parkedRuns);
  await rig.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1); // servers and workers may still hold the event loop
});
