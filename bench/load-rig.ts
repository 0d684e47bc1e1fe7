/** What both parts of bench:load share: a dev server, the scripted LLM, a client and compiled workers. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { installRuntimeLogger } from '../src/temporal/runtime';
import { spawnWorker, type WorkerProcess } from '../test/support/processes';
import { startScriptedLlm, type ScriptedLlm } from '../test/support/scripted-llm';
import { reportFlags } from './load-memory';
import { benchServer } from './support';

const BATCH = 50; // client calls in flight at once

/** `--name N`: a positive whole number, or `fallback` when absent. */
export function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} needs a positive whole number, got "${process.argv[i + 1] ?? ''}"`);
  return n;
}

/** Every `--<flag> K=V` (default `--worker-env`): extra environment for worker processes (to compare settings). */
export function workerEnvOptions(flag = 'worker-env'): Record<string, string> {
  const out: Record<string, string> = {};
  process.argv.forEach((arg, i) => {
    if (arg !== `--${flag}`) return;
    const kv = process.argv[i + 1] ?? '';
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--${flag} needs KEY=VALUE, got "${kv}"`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  });
  return out;
}

/**
 * Runs `fn` over `items`, at most BATCH at a time. A call the loaded dev server times out is tried
 * again (up to 5 times); `fn` must be safe to repeat (a start that went through answers "already
 * started", a second approve is recorded and ignored).
 */
export async function inBatches<T, R>(items: T[], fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  const again = async (x: T, i: number): Promise<R> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(x, i);
      } catch (err) {
        if (attempt >= 5 || !/DEADLINE_EXCEEDED|UNAVAILABLE|deadline exceeded/i.test(`${String(err)} ${String((err as { cause?: unknown }).cause)}`)) throw err;
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
  };
  for (let i = 0; i < items.length; i += BATCH) out.push(...(await Promise.all(items.slice(i, i + BATCH).map((x, j) => again(x, i + j)))));
  return out;
}

export interface LoadRig {
  client: Client;
  llm: ScriptedLlm;
  /** A compiled worker (dist/worker.js, as `aiml worker` runs) on `taskQueue`, with the default settings plus `--worker-env` and `env`. */
  worker(taskQueue: string, env?: Record<string, string>): Promise<WorkerProcess>;
  /** A fresh workspace folder for run `id`. */
  workspace(id: string): string;
  /** Where the workers write their diagnostic reports (see load-memory.ts). */
  reportDir: string;
  tag: number;
  close(): Promise<void>;
}

export async function loadRig(): Promise<LoadRig> {
  installRuntimeLogger({ AIML_LOG_LEVEL: 'ERROR' });
  const env = await benchServer();
  const address = env.connection.options.address;
  const llm = await startScriptedLlm();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-load-'));
  const reportDir = path.join(root, '.reports');
  fs.mkdirSync(reportDir);
  const extra = workerEnvOptions();
  if (Object.keys(extra).length) console.log(`worker environment: ${Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  return {
    client: new Client({ connection: env.connection, namespace: 'default' }),
    llm,
    reportDir,
    tag: Date.now(),
    worker: (taskQueue, env = {}) => {
      const settings = { ...extra, ...env };
      return spawnWorker(
        {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TEMPORAL_ADDRESS: address,
          AIML_TASK_QUEUE: taskQueue,
          OPENAI_BASE_URL: llm.url,
          OPENAI_API_KEY: 'bench',
          AIML_HOME: path.join(root, '.home'),
          AIML_LOG_LEVEL: 'ERROR',
          ...settings,
          NODE_OPTIONS: `${reportFlags(reportDir)} ${settings.NODE_OPTIONS ?? ''}`.trim(),
        },
        60_000,
        { compiled: true },
      );
    },
    workspace: (id) => {
      const dir = path.join(root, id);
      fs.mkdirSync(dir, { recursive: true }); // again for a retried start
      return dir;
    },
    async close() {
      await llm.close();
      await env.teardown();
      fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
