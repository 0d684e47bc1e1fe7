/**
 * bench:load, part 2: M design runs parked at their approval gate on one compiled worker, the
 * worker's memory while they wait (target: RSS <= 300 MB), then all approved by signal: time until
 * every run has completed. Run alone: `tsx bench/load-parked.ts [--parked M] [--worker-env K=V ...]`;
 * with `--compare K=V ...` two workers run side by side on the same server, with the default
 * settings and with K=V, M runs each.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { approveSignal } from '../src/contracts';
import type { WorkerProcess } from '../test/support/processes';
import { draftReply } from '../test/support/fixtures';
import { describeMemory, heaps, memory } from './load-memory';
import { inBatches, loadRig, option, workerEnvOptions, type LoadRig } from './load-rig';
import { ms, verdict } from './support';

const TARGET_MB = 300;

/** What the parked bench needs of the rig. */
export type ParkedBench = Omit<LoadRig, 'close'>;

/** `variant` names a worker setting to compare (its own task queue and worker process, extra environment `env`). */
export async function parkedBench(b: ParkedBench, parkedRuns: number, variant?: { name: string; env: Record<string, string> }): Promise<void> {
  b.llm.setFallback((_r, i) => draftReply(`parked-${i}`, 5));
  const queue = `bench-load-parked${variant ? `-${variant.name.replace(/[^\w-]+/g, '_')}` : ''}`;
  const say = (line: string): void => console.log(variant ? `[${variant.name}] ${line}` : line);
  const w = await b.worker(queue, variant?.env);
  const ids = Array.from({ length: parkedRuns }, (_x, i) => `${queue}-${b.tag}-${i}`);
  try {
    await measure(b, w, queue, ids, say);
  } finally {
    await w.stop();
  }
}

async function measure(b: ParkedBench, w: WorkerProcess, queue: string, ids: string[], say: (line: string) => void): Promise<void> {
  const parkedRuns = ids.length;
  const pid = w.child.pid!;
  const idle = memory(pid);
  const idleHeaps = await heaps(pid, b.reportDir);
  const s0 = performance.now();
  await inBatches(ids, (id, i) =>
    b.client.workflow
      .start('design', { taskQueue: queue, workflowId: id, args: [{ brief: `Parked run ${i}`, workspace: b.workspace(id) }] })
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // a retried start that went through
      }),
  );
  const waitFor = async (query: string, target: number, what: string): Promise<void> => {
    const since = Date.now();
    let said = since;
    for (;;) {
      const count = await b.client.workflow.count(`TaskQueue = '${queue}' AND ${query}`).then(
        (r) => r.count,
        () => 0, // a loaded server timed the count out: ask again
      );
      if (count >= target) return;
      if (Date.now() - since > 3_600_000) throw new Error(`only ${count} of ${target} runs ${what} in an hour`);
      if (Date.now() - said > 60_000) {
        said = Date.now();
        say(`  ... ${count} of ${target} runs ${what} (${((said - since) / 1000).toFixed(0)} s)`); // a loaded machine is slow: show it moves
      }
      await new Promise((res) => setTimeout(res, 250));
    }
  };
  await waitFor(`AimlAwaitingApproval = true AND ExecutionStatus = 'Running'`, parkedRuns, 'reached the gate');
  const parkedIn = performance.now() - s0;
  await new Promise((res) => setTimeout(res, 10_000)); // the last workflow tasks settle, the heaps shrink after the burst
  const parked = memory(pid);
  const parkedHeaps = await heaps(pid, b.reportDir);
  say(`${parkedRuns} runs parked at the approval gate (all at the gate in ${(parkedIn / 1000).toFixed(1)} s):`);
  say(`  idle:   ${describeMemory(idle, idleHeaps)}`);
  say(`  parked: ${describeMemory(parked, parkedHeaps)}`);
  say(`  worker RSS parked ${parked.rss.toFixed(0)} MB (peak during the start burst ${parked.peak.toFixed(0)} MB)  target <= ${TARGET_MB} MB  ${verdict(parked.rss <= TARGET_MB)}`);
  const d0 = performance.now();
  await inBatches(ids, (id) => b.client.workflow.getHandle(id).signal(approveSignal, { by: 'bench' }));
  const signalled = performance.now() - d0;
  await waitFor(`ExecutionStatus = 'Completed'`, parkedRuns, 'completed after approval');
  const drain = performance.now() - d0;
  const after = memory(pid);
  say(`  approve all (signals sent in ${ms(signalled)}): drained in ${(drain / 1000).toFixed(1)} s (${(parkedRuns / (drain / 1000)).toFixed(1)} runs/s); worker RSS after ${after.rss.toFixed(0)} MB, peak ${after.peak.toFixed(0)} MB`);
}

async function main(): Promise<void> {
  const rig: LoadRig = await loadRig();
  const compared = workerEnvOptions('compare');
  const runs = option('parked', 2000);
  try {
    if (!Object.keys(compared).length) await parkedBench(rig, runs);
    else {
      const name = Object.entries(compared).map(([k, v]) => `${k}=${v}`).join(' ');
      await Promise.all([parkedBench(rig, runs, { name: 'default', env: {} }), parkedBench(rig, runs, { name, env: compared })]);
    }
  } finally {
    await rig.close();
  }
}

// Run alone (tsx bench/load-parked.ts), not when bench/load.ts imports it.
if (process.argv[1]?.endsWith('load-parked.ts')) {
  main().catch((err) => {
    console.error(err);
    process.exit(1); // servers and workers may still hold the event loop
  });
}
