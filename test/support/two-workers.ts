import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { hostQueueName } from '../../src/contracts/routing';
import { spawnWorker, type WorkerProcess } from './processes';
import { startS3Server, type S3Server } from './s3-server';

/**
 * Two hosts on one Temporal server: two real `aiml worker` processes, each with its own AIML_HOME
 * and AIML_HOST_ID (standing for two machines), sharing one S3-compatible blob store and one
 * scripted LLM. Plain functions with no jest hooks, so any suite can point it at any Temporal
 * address (the dev server here, a real cluster in `test:cluster`).
 */
export interface TwoWorkersOptions {
  temporalAddress: string;
  namespace?: string;
  /** The scripted LLM (or any OpenAI-compatible endpoint). */
  llmUrl: string;
  /** The shared task queue (default: a unique one); each host also polls `<queue>-host-<id>`. */
  taskQueue?: string;
  hosts?: [string, string];
  /** More variables for both workers (and their CLIs). */
  env?: Record<string, string>;
  /** Run dist/worker.js instead of the sources (needs `npm run build`). */
  compiled?: boolean;
}

export interface HostWorker {
  host: string;
  /** This host's state folder (its journal, knowledge bases, its copy of the blobs). */
  home: string;
  hostQueue: string;
  /** The environment of this host's worker; a CLI run with it acts from this host. */
  env: NodeJS.ProcessEnv;
  /** Whether its worker process is running. */
  running(): boolean;
  /** Starts (or restarts) its worker; resolves once it polls. */
  start(): Promise<void>;
  /** SIGKILL: a host that dies with no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM, then wait for it to exit. */
  stop(): Promise<void>;
  output(): string;
}

export interface TwoWorkers {
  taskQueue: string;
  s3: S3Server;
  hosts: [HostWorker, HostWorker];
  /** Stops both workers and the S3 server, removes the state folders. */
  close(): Promise<void>;
}

function hostWorker(host: string, env: NodeJS.ProcessEnv, hostQueue: string, compiled: boolean): HostWorker {
  let proc: WorkerProcess | undefined;
  let log = '';
  return {
    host,
    home: env.AIML_HOME!,
    hostQueue,
    env,
    running: () => proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null,
    async start() {
      proc = await spawnWorker(env, 120_000, { compiled });
    },
    async kill() {
      log += proc?.output() ?? '';
      await proc?.kill();
      proc = undefined;
    },
    async stop() {
      log += proc?.output() ?? '';
      await proc?.stop();
      proc = undefined;
    },
    output: () => log + (proc?.output() ?? ''),
  };
}

export async function startTwoWorkers(opts: TwoWorkersOptions): Promise<TwoWorkers> {
  const taskQueue = opts.taskQueue ?? `two-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const s3 = await startS3Server();
  const names = opts.hosts ?? ['host-a', 'host-b'];
  const hosts = names.map((host) => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), `aiml-${host}-`));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: opts.temporalAddress,
      TEMPORAL_NAMESPACE: opts.namespace ?? 'default',
      AIML_TASK_QUEUE: taskQueue,
      AIML_HOST_ID: host,
      AIML_HOME: home,
      AIML_LOG_LEVEL: 'WARN',
      OPENAI_BASE_URL: opts.llmUrl,
      OPENAI_API_KEY: 'sk-test-not-a-secret',
      AIML_MODEL: 'scripted-model',
      ...s3.env,
      ...opts.env,
    };
    return hostWorker(host, env, hostQueueName(taskQueue, host), opts.compiled ?? false);
  }) as [HostWorker, HostWorker];
  try {
    // One after the other: each bundles the workflows at start, and two at once starve a small machine.
    for (const h of hosts) await h.start();
  } catch (err) {
    await Promise.all(hosts.map((h) => h.kill()));
    await s3.close();
    throw err;
  }
  return {
    taskQueue,
    s3,
    hosts,
    async close() {
      await Promise.all(hosts.map((h) => h.stop().catch(() => h.kill())));
      await s3.close();
      for (const h of hosts) fs.rmSync(h.home, { recursive: true, force: true });
    },
  };
}

/** One activity of a run as its history tells it: the queue it was scheduled on and the worker that ran it. */
export interface ActivityRun {
  activityType: string;
  taskQueue: string;
  /** The identity of the worker whose attempt completed (or is the latest), e.g. `aiml-worker:host-a@1234`. */
  identity: string;
  completed: boolean;
}

/** Every regular activity of a workflow, from its history (local activities run inside workflow tasks: see `workflowTaskIdentities`). */
export async function activityRuns(client: Client, workflowId: string): Promise<ActivityRun[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const byScheduled = new Map<string, ActivityRun>();
  for (const e of history.events ?? []) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      byScheduled.set(id, { activityType: a.activityType?.name ?? '?', taskQueue: a.taskQueue?.name ?? '?', identity: '', completed: false });
    } else if (e.activityTaskStartedEventAttributes) {
      const a = e.activityTaskStartedEventAttributes;
      const run = byScheduled.get(String(a.scheduledEventId));
      if (run) run.identity = a.identity ?? '';
    } else if (e.activityTaskCompletedEventAttributes) {
      const run = byScheduled.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId));
      if (run) run.completed = true;
    }
  }
  return [...byScheduled.values()];
}

/** Identities of the workers that completed the workflow's tasks (where its local activities ran too). */
export async function workflowTaskIdentities(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return [...new Set((history.events ?? []).flatMap((e) => (e.workflowTaskCompletedEventAttributes ? [e.workflowTaskCompletedEventAttributes.identity ?? ''] : [])))];
}

/** The host part of a worker identity (`aiml-worker:<host>@<pid>`). */
export function hostOf(identity: string): string | undefined {
  return /^aiml-worker:([^@]+)@/.exec(identity)?.[1];
}
