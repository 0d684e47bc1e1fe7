/**
 * npm run bench:design — DESIGN orchestration figures on a real dev server:
 *  1. overhead ratio R = wall time of an auto-approved design run ÷ the sum of its LLM latencies
 *     (scripted LLM answering in a fixed 500 ms); target ≤ 1.10. The run's wall time is read from
 *     its history (started → completed); the client-observed time (start call → result) is
 *     printed beside it.
 *  2. approval → next activity start latency, p50 over 20 runs; target ≤ 150 ms
 *  3. worker RSS with 500 runs parked at the approval gate; target ≤ 500 MB
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { decideUpdate, stateQuery } from '../src/contracts';
import { installRuntimeLogger } from '../src/temporal/runtime';
import { buildDeps, createWorker } from '../src/worker-factory';
import { draftReply } from '../test/support/fixtures';
import { startScriptedLlm } from '../test/support/scripted-llm';
import { spawnWorker } from '../test/support/processes';
import { benchServer, eventMs, ms, percentile, verdict } from './support';

const LLM_MS = 500;

async function main(): Promise<void> {
  installRuntimeLogger({ AIML_LOG_LEVEL: 'ERROR' });
  const env = await benchServer();
  const address = env.connection.options.address;
  process.env.AIML_TEST_TEMPORAL_ADDRESS = address;
  const llm = await startScriptedLlm();
  llm.setFallback((_r, i) => draftReply(`bench-${i}`, LLM_MS));
  const client = new Client({ connection: env.connection, namespace: 'default' });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-'));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-home-'));

  const connection = await NativeConnection.connect({ address });
  const taskQueue = 'bench-design';
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue,
    deps: buildDeps({ baseURL: llm.url, apiKey: 'bench', model: 'scripted', timeoutMs: 30_000, stream: true }, home),
  });
  const running = worker.run();
  const start = (id: string, approval?: object) =>
    client.workflow.start('design', { taskQueue, workflowId: id, args: [{ brief: 'Benchmark brief: RAG over docs', workspace, approval }] });

  // 1. Overhead ratio (one warm-up run, then the median of 10).
  await (await start(`bench-warm-${Date.now()}`, { mode: 'auto' })).result();
  const ratios: number[] = [];
  const clientRatios: number[] = [];
  const llmTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const handle = await start(`bench-r-${Date.now()}-${i}`, { mode: 'auto' });
    const result = await handle.result();
    const clientWall = performance.now() - t0;
    const events = (await handle.fetchHistory()).events!;
    const runWall = eventMs(events.at(-1)!) - eventMs(events[0]!);
    const llmMs = result.usage.llmMs ?? 0; // measured by the LLM gateway around each request
    llmTimes.push(llmMs);
    ratios.push(runWall / llmMs);
    clientRatios.push(clientWall / llmMs);
  }
  const r = percentile(ratios, 50);
  console.log(`LLM time per run (gateway, scripted ${LLM_MS} ms): p50 ${ms(percentile(llmTimes, 50))}`);
  console.log(`overhead ratio R = run wall time (history) / LLM time, median of 20: ${r.toFixed(3)}  [min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)}]  target <= 1.10  ${verdict(r <= 1.1)}`);
  console.log(`  client-observed (start call -> result): median ${percentile(clientRatios, 50).toFixed(3)}`);

  // 2. Approval -> next activity start.
  const latencies: number[] = [];
  for (let i = 0; i < 20; i++) {
    const h = await start(`bench-a-${Date.now()}-${i}`);
    while ((await h.query(stateQuery)).status !== 'awaiting_approval') await new Promise((res) => setTimeout(res, 20));
    const sent = Date.now();
    await h.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'bench' }] });
    await h.result();
    const events = (await h.fetchHistory()).events!;
    // writeSpec is a local activity: its marker is recorded when the workflow task that ran it completes,
    // so this is an upper bound of its start.
    const next = events.find((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity' && eventMs(e) >= sent)!;
    latencies.push(eventMs(next) - sent);
  }
  const p50 = percentile(latencies, 50);
  console.log(`approval -> next activity recorded: p50 ${ms(p50)}, p90 ${ms(percentile(latencies, 90))} over 20 runs  target p50 <= 150 ms  ${verdict(p50 <= 150)}`);
  worker.shutdown();
  await running;
  await connection.close();

  // 3. Worker RSS with 500 runs parked at the gate (a separate worker process, measured from /proc).
  const parkedQueue = 'bench-parked';
  llm.setFallback((_r, i) => draftReply(`parked-${i}`, 5));
  const proc = await spawnWorker(
    {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: address,
    AIML_TASK_QUEUE: parkedQueue,
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: 'bench',
    AIML_HOME: home,
    AIML_LOG_LEVEL: 'ERROR',
    },
    60_000,
    { compiled: true }, // dist/worker.js with the prebuilt bundle, as `aiml worker` runs
  );
  const rssMb = (): number => {
    const status = fs.readFileSync(`/proc/${proc.child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
  };
  const idle = rssMb();
  const ids: string[] = [];
  for (let i = 0; i < 500; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) => {
        const id = `bench-park-${Date.now()}-${i + j}`;
        ids.push(id);
        return client.workflow.start('design', { taskQueue: parkedQueue, workflowId: id, args: [{ brief: `Parked run ${i + j}`, workspace }] });
      }),
    );
  }
  const t0 = Date.now();
  for (;;) {
    const count = await client.workflow.count(`TaskQueue = '${parkedQueue}' AND AimlAwaitingApproval = true AND ExecutionStatus = 'Running'`);
    if (count.count >= 500) break;
    if (Date.now() - t0 > 300_000) throw new Error(`only ${count.count} of 500 runs reached the gate`);
    await new Promise((res) => setTimeout(res, 1000));
  }
  await new Promise((res) => setTimeout(res, 2000));
  const parked = rssMb();
  console.log(`worker RSS: idle ${idle.toFixed(0)} MB, with 500 runs parked at the gate ${parked.toFixed(0)} MB  target <= 500 MB  ${verdict(parked <= 500)}`);
  await proc.stop();
  for (const id of ids) await client.workflow.getHandle(id).terminate('benchmark done').catch(() => undefined);

  await llm.close();
  await env.teardown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1); // servers and workers may still hold the event loop
});
