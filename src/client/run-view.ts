import type { Client, WorkflowExecutionDescription, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { ROUTING_MEMO_KEY, RUN_MEMO_KEY, SA_PHASE, SA_STATUS, ZERO_USAGE, type GateSummary, type LlmMemo, type RunMemo, type RunRouting, type RunStatus, type RunBudget, type Usage } from '../contracts';
import { AimlError, errorMessage } from '../errors';
import { closingFailure, fetchEvents, lastWorkflowTaskFailure } from './history';
import { activityTrouble, failedTrouble, workflowTaskAttempt, workflowTaskTrouble, type Trouble } from './trouble';

/** What `aiml status`, `runs` and `watch` show: built from describe()/list() (and history), no worker needed. */
export interface RunView {
  workflowId: string;
  runId: string;
  type: string;
  phase: string;
  status: RunStatus;
  step: string;
  pendingGate: string | null;
  /** The workflow that owns the pending gate (a child for `ship`). */
  pendingGateWorkflowId: string | null;
  usage: Usage;
  artifacts: string[];
  error: string | null;
  /** What is going wrong now (retries, a stuck workflow task) or why the run failed, in one line. */
  trouble: Trouble | null;
  children?: Record<string, string>;
  /** Every gate round so far, as the run publishes them in its memo (absent from older runs). */
  gates?: GateSummary[];
  /** The spending limit now (after top-ups), when the run has one. */
  budget?: RunBudget;
  /** Tokens and cost per phase (ship: per finished child). */
  byPhase?: Record<string, Usage>;
  /** Model providers: which serves each role, the latest call's, and switches (absent from older runs). */
  llm?: LlmMemo;
  startTime: string;
  closeTime: string | null;
  historyLength: number;
  taskQueue: string;
  /** The host that holds the run's workspace, for a run started for one (its worker polls `taskQueue`). */
  host?: string;
}

export function toRunStatus(execution: string, saStatus: string | undefined): RunStatus {
  switch (execution) {
    case 'RUNNING':
      return saStatus === 'awaiting_approval' ? 'awaiting_approval' : 'running';
    case 'COMPLETED':
      return 'completed';
    case 'CANCELLED':
      return 'cancelled';
    case 'CONTINUED_AS_NEW':
      return 'running';
    default:
      return 'failed'; // FAILED, TERMINATED, TIMED_OUT
  }
}

export function toRunView(info: Omit<WorkflowExecutionInfo, 'raw'>): RunView {
  const memo = (info.memo?.[RUN_MEMO_KEY] ?? {}) as Partial<RunMemo>;
  const routing = info.memo?.[ROUTING_MEMO_KEY] as Partial<RunRouting> | undefined;
  const status = toRunStatus(info.status.name, info.typedSearchAttributes.get(SA_STATUS));
  const open = info.status.name === 'RUNNING';
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    type: info.type,
    phase: info.typedSearchAttributes.get(SA_PHASE) ?? info.type,
    status,
    step: memo.step ?? (open ? 'starting' : info.status.name.toLowerCase()),
    pendingGate: open ? (memo.pendingGate ?? null) : null,
    pendingGateWorkflowId: open ? (memo.pendingGateWorkflowId ?? null) : null,
    usage: { ...ZERO_USAGE, ...(memo.usage ?? {}) },
    artifacts: memo.artifacts ?? [],
    error: memo.error ?? (status === 'failed' && !memo.error ? `run ${info.status.name.toLowerCase()}` : null),
    trouble: null,
    children: memo.children,
    gates: memo.gates,
    ...(memo.budget ? { budget: memo.budget } : {}),
    ...(memo.byPhase ? { byPhase: memo.byPhase } : {}),
    ...(memo.llm ? { llm: memo.llm } : {}),
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime ? info.closeTime.toISOString() : null,
    historyLength: info.historyLength,
    taskQueue: info.taskQueue,
    ...(routing?.host ? { host: routing.host } : {}),
  };
}

/**
 * The view of one run with its trouble: pending activity retries and a failing workflow task come
 * from describe(); for a failed or stuck run the history gives the root cause (never just
 * "Activity task failed").
 */
export async function describeRun(client: Client, workflowId: string): Promise<RunView> {
  if (!workflowId?.trim()) throw new AimlError('USAGE', 'A run id is required');
  let desc: WorkflowExecutionDescription;
  try {
    desc = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || (err as { name?: string }).name === 'WorkflowNotFoundError') {
      throw new AimlError('RUN_NOT_FOUND', `No run with id "${workflowId}"`);
    }
    throw err;
  }
  const view = toRunView(desc);
  const wftAttempt = workflowTaskAttempt(desc);
  if (view.status === 'failed') {
    const cause = closingFailure(await fetchEvents(client, workflowId));
    if (cause) {
      view.trouble = failedTrouble(cause);
      view.error = view.trouble.line;
      // The workflow's own step line only knows the outermost failure ("Activity task failed").
      view.step = cause.activity ? `failed in ${cause.activity}` : 'failed';
    }
  } else if (wftAttempt > 1) {
    view.trouble = workflowTaskTrouble(wftAttempt, lastWorkflowTaskFailure(await fetchEvents(client, workflowId)));
  } else if (view.status === 'running') {
    view.trouble = activityTrouble(desc, view.step) ?? null;
  }
  return view;
}

const LIST_FILTERS: Record<RunStatus, string> = {
  running: `ExecutionStatus = 'Running' AND AimlStatus = 'running'`,
  awaiting_approval: `ExecutionStatus = 'Running' AND AimlAwaitingApproval = true`,
  completed: `ExecutionStatus = 'Completed'`,
  failed: `ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut')`,
  cancelled: `ExecutionStatus = 'Canceled'`,
};

export async function listRuns(client: Client, opts: { status?: RunStatus; limit?: number }): Promise<RunView[]> {
  const clauses = [`WorkflowType IN ('design', 'build', 'ship', 'ingest')`];
  if (opts.status) clauses.push(LIST_FILTERS[opts.status]);
  const out: RunView[] = [];
  try {
    for await (const info of client.workflow.list({ query: clauses.join(' AND ') })) {
      out.push(toRunView(info));
      if (out.length >= (opts.limit ?? 50)) break;
    }
  } catch (err) {
    // A run written with payload encryption cannot be read without its keys.
    if (/encod|codec|encrypt/i.test(errorMessage(err))) {
      throw new AimlError('CODEC_KEY_UNKNOWN', `Some runs' payloads are encrypted and this process cannot read them: set AIML_ENCRYPTION_KEYS as the workers have it (${errorMessage(err).split('\n')[0]})`);
    }
    throw err;
  }
  return out;
}
