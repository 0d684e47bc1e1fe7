import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import type { LlmConfig } from '../src/config';
import { buildDeps, createWorker } from '../src/worker-factory';
import { ALL_SEARCH_ATTRIBUTES } from '../src/contracts/search-attributes';
import { ensureTemporalBinary } from '../src/temporal/install';

/** A real dev server for a benchmark run (the same binary and search attributes as the tests). */
export async function benchServer(): Promise<TestWorkflowEnvironment> {
  const bin = ensureTemporalBinary(process.env, (l) => process.stderr.write(`${l}\n`));
  process.env.AIML_TEST_TEMPORAL_BIN = bin;
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: bin }, searchAttributes: ALL_SEARCH_ATTRIBUTES, extraArgs: ['--log-level', 'error'] },
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export const ms = (n: number): string => `${n.toFixed(1)} ms`;

export function eventMs(e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }): number {
  return Number(e.eventTime!.seconds) * 1000 + (e.eventTime!.nanos ?? 0) / 1e6;
}

export function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

/** A dev server and one in-process worker on `taskQueue` with these LLM settings (and a fresh AIML_HOME) for `fn`; all stopped after. */
export async function withBenchWorker<T>(llm: LlmConfig, taskQueue: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const env = await benchServer();
  const client = new Client({ connection: env.connection, namespace: 'default' });
  const connection = await NativeConnection.connect({ address: env.connection.options.address });
  const deps = buildDeps(llm, fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-home-')));
  const worker = await createWorker({ connection, namespace: 'default', taskQueue, deps });
  const running = worker.run();
  try {
    return await fn(client);
  } finally {
    worker.shutdown();
    await running;
    await deps.llm.close();
    await connection.close();
    await env.teardown();
  }
}
