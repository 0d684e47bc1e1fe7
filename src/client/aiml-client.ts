import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { ingestProgressQuery, stateQuery, WORKFLOW_TYPES, type BuildInput, type DecideInput, type DesignInput, type IngestInput, type IngestProgress, type RunState, type RunStatus, type ShipInput, type ToolCallView } from '../contracts';
import { ROUTING_MEMO_KEY, type RunRouting } from '../contracts/routing';
import { REVERT_WORKFLOW, revertWorkflowId, type RevertInput, type RevertOutput } from '../contracts/revert';
import { AimlError, errorMessage, isErrorCode } from '../errors';
import { startDisplay } from './start-display';
import { sendDecision, type DecisionOutcome } from './decisions';
import { describeRun, listRuns, type RunView } from './run-view';
import { pendingStreamBeats, StreamFollower } from './stream';

/** Whether a failure (or one of its causes) is a gRPC deadline: nobody answered in time. */
function isDeadline(err: unknown): boolean {
  for (let e = err as { code?: number; message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === 4 || /deadline/i.test(String(e.message))) return true;
  }
  return false;
}

/**
 * Whether the server refused a query because no worker polls the run's task queue (FAILED_PRECONDITION,
 * "no poller seen for task queue recently"): once it has noticed, it answers so at once, not at the deadline.
 */
export function noWorkerPolls(err: unknown): boolean {
  for (let e = err as { code?: number; message?: string; details?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (/no poller seen/i.test(`${e.message ?? ''} ${e.details ?? ''}`)) return true;
  }
  return false;
}

/** The innermost failure of a chain (an activity's ApplicationFailure inside a workflow failure). */
function rootCause(err: unknown): { type?: string; message: string } {
  let e = err as { cause?: unknown; type?: string; message?: string };
  while (e.cause) e = e.cause as typeof e;
  return { type: e.type, message: e.message ?? String(err) };
}

/** What to say when a run's host has no worker polling. */
export function hostDownMessage(view: Pick<RunView, 'host' | 'taskQueue'>): string {
  return `the worker for host "${view.host}" is not running (nothing polls task queue ${view.taskQueue}): the run's workspace work waits for it; start "aiml worker" on that host (AIML_HOST_ID=${view.host})`;
}

/** Each workflow type with the input it starts with. */
export interface WorkflowInputs {
  design: DesignInput;
  build: BuildInput;
  ship: ShipInput;
  ingest: IngestInput;
}
export type WorkflowType = keyof WorkflowInputs;

const FINAL = new Set<RunStatus>(['completed', 'failed', 'cancelled']);
/** A poller seen this recently may still be there (long polls last about a minute). */
const POLLER_FRESH_MS = 90_000;

export interface WatchOptions {
  onChange?: (view: RunView) => void;
  /** Each model-provider switch once (from the memo: no worker needed), as its line. */
  onSwitch?: (line: string) => void;
  /** Each BUILD agent tool call once it finished (from the run's state: needs a worker to answer queries). */
  onToolCall?: (call: ToolCallView) => void;
  /**
   * The text of the current generation as it streams, each piece once (from the LLM activity's
   * heartbeats via describe(): works wherever the worker runs; never read from history).
   */
  onText?: (text: string) => void;
  /** Keep following while the run waits at a gate (default: return there). */
  throughGates?: boolean;
  intervalMs?: number;
  signal?: AbortSignal;
}

/**
 * The typed client every CLI command and test uses: start (typed by workflow), describe, decide,
 * query with a deadline, list, watch, cancel. Reads need no worker: they come from describe(),
 * the memo and the history.
 */
/** Memo key of the folder an ingest run indexes (when its input names one). */
export const INGEST_DIR_MEMO_KEY = 'aimlIngestDir';

export class AimlClient {
  constructor(
    readonly client: Client,
    readonly opts: {
      namespace: string;
      taskQueue: string;
      /** Runs this client starts belong to this host (its queue); without it, everything goes to `taskQueue`. */
      routing?: RunRouting;
      /** The model named in the UI's details when the input names none. */
      model?: string;
    },
  ) {}

  /**
   * Starts a run with its UI summary and details. With routing, the run lives on the host's queue
   * (its workflow tasks and workspace work stay on the host), carries the routing in its input
   * (model calls go to the shared queue) and in its memo (status and diff find the host with no worker).
   */
  async start<T extends WorkflowType>(type: T, workflowId: string, input: WorkflowInputs[T], extra: { joinExisting?: boolean } = {}): Promise<WorkflowHandleWithFirstExecutionRunId> {
    const routing = this.opts.routing;
    const args = routing && type !== 'ingest' ? { ...input, routing } : input;
    const taskQueue = routing ? routing.hostQueue : this.opts.taskQueue;
    // An ingest run records the folder it indexes, so that a `kb add` joining it can tell whether it is the same.
    const folder = type === 'ingest' ? (input as WorkflowInputs['ingest']).dir : undefined;
    const memo = { ...(routing ? { [ROUTING_MEMO_KEY]: routing } : {}), ...(folder ? { [INGEST_DIR_MEMO_KEY]: folder } : {}) };
    const handle = await this.client.workflow.start(WORKFLOW_TYPES[type], {
      taskQueue,
      workflowId,
      args: [args],
      ...(Object.keys(memo).length ? { memo } : {}),
      ...startDisplay(type, input, { routing, model: this.opts.model }),
      ...(extra.joinExisting ? { workflowIdConflictPolicy: 'USE_EXISTING' as const } : {}),
    });
    if (extra.joinExisting) {
      // The run joined may be another host's (same id, another queue): its result is not this host's work.
      const running = await handle.describe();
      if (running.taskQueue !== taskQueue) {
        throw new AimlError(
          'RUN_ELSEWHERE',
          `${workflowId} is already running on another host's task queue (${running.taskQueue}), not this host's (${taskQueue}); it is not joined. ` +
            `Wait for it to end (aiml watch ${workflowId}), or use another name.`,
        );
      }
      const theirs = running.memo?.[INGEST_DIR_MEMO_KEY];
      if (folder && typeof theirs === 'string' && theirs !== folder) {
        throw new AimlError(
          'KB_ROOT_MISMATCH',
          `${workflowId} is already running for ${theirs}, not ${folder}; it is not joined. Wait for it to end (aiml watch ${workflowId}), or use another --kb name.`,
        );
      }
    }
    return handle;
  }

  describe(workflowId: string): Promise<RunView> {
    return describeRun(this.client, workflowId);
  }

  list(opts: { status?: RunStatus; limit?: number } = {}): Promise<RunView[]> {
    return listRuns(this.client, opts);
  }

  /** The run's full state from its worker; fails with a clear message when none answers by the deadline. */
  async query(workflowId: string, deadlineMs = 5000): Promise<RunState> {
    const started = Date.now();
    try {
      return await this.client.withDeadline(started + deadlineMs, () => this.client.workflow.getHandle(workflowId).query(stateQuery));
    } catch (err) {
      // A busy server may end the call at the deadline with another status ("Failed to query
      // Workflow", cancelled): a failure at the deadline is no answer within it all the same.
      // The server may also answer before the deadline that no worker polls the run's queue.
      if (isDeadline(err) || noWorkerPolls(err) || Date.now() - started >= deadlineMs - 100) {
        throw new AimlError('NO_WORKER_ANSWER', `No worker answered the state query for "${workflowId}" within ${Math.round(deadlineMs / 1000)}s: is "aiml worker" running?`);
      }
      throw err;
    }
  }

  /**
   * Whether the worker that owns a run answers for it now: a state query with a short deadline (a
   * poller list cannot tell a worker killed a minute ago from an idle one). Only the run's queue,
   * i.e. its host's workers, can answer.
   */
  async ownerAnswers(view: RunView, deadlineMs = 3000): Promise<boolean> {
    // A sync has its own query (it keeps no run state); a revert has none: its queue's pollers tell.
    if (view.type === 'ingest') return (await this.ingestProgress(view, deadlineMs)) !== undefined;
    if (view.type === REVERT_WORKFLOW) return this.workerMayBeLive(view.taskQueue);
    // No answer by the deadline, or the server giving up on the query itself: nobody there to answer.
    return this.query(view.workflowId, deadlineMs).then(
      () => true,
      () => false,
    );
  }

  /**
   * How far a knowledge-base sync got: its result once completed, its progress (from its worker)
   * while it runs; undefined when it failed or was cancelled, or no worker answers by the deadline.
   */
  async ingestProgress(view: RunView, deadlineMs = 3000): Promise<IngestProgress | undefined> {
    const handle = this.client.workflow.getHandle(view.workflowId);
    if (view.closeTime) return view.status === 'completed' ? ((await handle.result()) as IngestProgress) : undefined;
    return this.client.withDeadline(Date.now() + deadlineMs, () => handle.query(ingestProgressQuery)).catch(() => undefined);
  }

  /** The run's state from its host's worker; HOST_WORKER_DOWN, naming the host, when that worker does not answer. */
  async queryOwner(view: RunView, deadlineMs = 3000): Promise<RunState> {
    try {
      return await this.query(view.workflowId, deadlineMs);
    } catch (err) {
      if (!view.host) throw err;
      const why = (err as { code?: string }).code === 'NO_WORKER_ANSWER' ? '' : ` (${errorMessage(err).split('\n')[0]})`;
      throw new AimlError('HOST_WORKER_DOWN', hostDownMessage(view) + why);
    }
  }

  /**
   * Undoes a build's applied steps on the host that holds its workspace and journal: a `revert` run
   * on that host's queue. HOST_WORKER_DOWN when that host's worker does not answer; the revert's
   * own refusal (files changed since, nothing to revert) comes back with its code.
   */
  async revertOnHost(view: RunView, input: RevertInput): Promise<RevertOutput> {
    if (!(await this.ownerAnswers(view))) throw new AimlError('HOST_WORKER_DOWN', hostDownMessage(view));
    const handle = await this.client.workflow.start(REVERT_WORKFLOW, {
      taskQueue: view.taskQueue,
      workflowId: revertWorkflowId(view.workflowId, Date.now().toString(36)),
      args: [input],
      workflowExecutionTimeout: '2 minutes',
      staticSummary: `revert ${view.workflowId}${input.step ? ` from step ${input.step}` : ''} on host ${view.host ?? '?'}`,
    });
    try {
      return (await handle.result()) as RevertOutput;
    } catch (err) {
      const root = rootCause(err);
      throw new AimlError(isErrorCode(root.type) ? root.type : 'RUN_FAILED', `revert on host ${view.host ?? '?'}: ${root.message}`);
    }
  }

  /** Whether a worker may be polling `taskQueue` now (a poller seen in the last ~90 s). */
  async workerMayBeLive(taskQueue: string): Promise<boolean> {
    const res = await this.client.workflowService.describeTaskQueue({
      namespace: this.opts.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    const now = Date.now();
    return (res.pollers ?? []).some((p) => now - (optionalTsToMs(p.lastAccessTime) ?? 0) < POLLER_FRESH_MS);
  }

  /**
   * Decides the pending gate of `workflowId` (routed to the child that owns it, for `ship`). Answers
   * "applied" or "queued"; throws when the decision would be dropped.
   */
  async decide(workflowId: string, input: DecideInput, opts: { waitMs?: number } = {}): Promise<DecisionOutcome> {
    const view = await this.describe(workflowId);
    const target = view.pendingGateWorkflowId && view.pendingGateWorkflowId !== workflowId ? await this.describe(view.pendingGateWorkflowId) : view;
    const live = !target.closeTime && (await this.workerMayBeLive(target.taskQueue));
    // Gate rounds come from the memo; a run that does not publish them there is asked, if a worker may answer.
    const gates = target.gates ?? (live ? await this.query(target.workflowId, 3000).then((s) => s.gates, () => null) : null);
    return sendDecision(this.client, target, input, { waitMs: opts.waitMs ?? 10_000, workerMayBeLive: live, workflowTaskAttempt: target.trouble?.kind === 'workflow_task_failing' ? (target.trouble.attempt ?? 2) : 0, gates });
  }

  /** Follows a run by polling describe(), reporting each change, until it ends (or waits at a gate). */
  async watch(workflowId: string, opts: WatchOptions = {}): Promise<RunView> {
    let last = '';
    const shown = new Set<string>();
    const stream = new StreamFollower();
    let switches = 0;
    for (;;) {
      const view = await this.describe(workflowId);
      // A sync keeps no step of its own: its progress is the step.
      if (view.type === 'ingest' && !view.closeTime) {
        const p = await this.ingestProgress(view);
        if (p) view.step = p.phase === 'indexing' ? `indexing: ${p.filesIndexed} of ${p.filesToIndex} files, ${p.chunksIndexed} chunks` : p.phase;
      }
      const total = view.llm?.switchTotal ?? 0;
      // Each switch once (the memo keeps the latest few: older ones are counted in `status`).
      if (opts.onSwitch && total > switches) for (const line of view.llm!.switches.slice(-(total - switches))) opts.onSwitch(line);
      switches = total;
      if (opts.onText && !FINAL.has(view.status)) {
        // A ship run streams through its children: the build once it started, else the design.
        const target = view.children ? (view.children.build ?? view.children.design ?? workflowId) : workflowId;
        const beats = await pendingStreamBeats(this.client, target).catch(() => []);
        for (const { activityId, beat } of beats) {
          const text = stream.next(`${target}/${activityId}`, beat);
          if (text) opts.onText(text);
        }
      }
      const key = `${view.status}|${view.step}|${view.pendingGate}|${view.trouble?.line ?? ''}`;
      if (key !== last) {
        last = key;
        opts.onChange?.(view);
      }
      if (opts.onToolCall && !FINAL.has(view.status)) await this.newToolCalls(view.pendingGateWorkflowId ?? workflowId, shown, opts.onToolCall);
      if (FINAL.has(view.status)) return view;
      if (view.status === 'awaiting_approval' && !opts.throughGates) return view;
      if (view.trouble?.kind === 'workflow_task_failing' && !opts.throughGates) return view; // it cannot move by itself
      if (opts.signal?.aborted) return view;
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 400));
    }
  }

  /** Tool calls that finished since the last look; quiet when no worker answers queries. */
  private async newToolCalls(workflowId: string, shown: Set<string>, report: (c: ToolCallView) => void): Promise<void> {
    const calls = await this.query(workflowId, 3000).then(
      (s) => (s.details.toolCalls as ToolCallView[] | undefined) ?? [],
      () => [] as ToolCallView[],
    );
    for (const c of calls) {
      const key = `${c.step}|${c.id}|${c.turn}|${c.status}`;
      if (c.status === 'running' || shown.has(key)) continue;
      shown.add(key);
      report(c);
    }
  }

  async cancel(workflowId: string): Promise<void> {
    const view = await this.describe(workflowId);
    if (view.closeTime) throw new AimlError('RUN_CLOSED', `Run "${workflowId}" already ended (${view.status}); nothing to cancel`);
    await this.client.workflow.getHandle(workflowId).cancel();
  }

  result<R>(workflowId: string): Promise<R> {
    return this.client.workflow.getHandle(workflowId).result() as Promise<R>;
  }
}
