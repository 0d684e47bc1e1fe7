import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import {
  decisionCommands,
  RUN_MEMO_KEY,
  SA_PHASE,
  SA_STATUS,
  ZERO_USAGE,
  type RunMemo,
  type RunStatus,
} from '../contracts';
import { AimlError } from '../errors';

/** What `aiml status`, `runs` and `watch` show: built from describe()/list() alone, no worker needed. */
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
  usage: { promptTokens: number; completionTokens: number; totalTokens: number; llmCalls: number };
  artifacts: string[];
  error: string | null;
  children?: Record<string, string>;
  startTime: string;
  closeTime: string | null;
  historyLength: number;
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
    children: memo.children,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime ? info.closeTime.toISOString() : null,
    historyLength: info.historyLength,
  };
}

export async function describeRun(client: Client, workflowId: string): Promise<RunView> {
  if (!workflowId?.trim()) throw new AimlError('USAGE', 'A run id is required');
  try {
    return toRunView(await client.workflow.getHandle(workflowId).describe());
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || (err as { name?: string }).name === 'WorkflowNotFoundError') {
      throw new AimlError('RUN_NOT_FOUND', `No run with id "${workflowId}"`);
    }
    throw err;
  }
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
  for await (const info of client.workflow.list({ query: clauses.join(' AND ') })) {
    out.push(toRunView(info));
    if (out.length >= (opts.limit ?? 50)) break;
  }
  return out;
}

export function formatRun(v: RunView): string {
  const lines = [
    `${v.workflowId}  ${v.phase}  ${v.status}`,
    `  step:    ${v.step}`,
    `  tokens:  ${v.usage.totalTokens} (prompt ${v.usage.promptTokens}, completion ${v.usage.completionTokens}, ${v.usage.llmCalls} calls)`,
  ];
  if (v.pendingGate) {
    const target = v.pendingGateWorkflowId ?? v.workflowId;
    lines.push(`  waiting: gate ${v.pendingGate}${target !== v.workflowId ? ` (in ${target})` : ''}`);
    const commands = decisionCommands(v.workflowId, v.pendingGate);
    lines.push(`  approve: ${commands.approve}`);
    lines.push(`  reject:  ${commands.reject}`);
  }
  if (v.children) for (const [k, id] of Object.entries(v.children)) lines.push(`  ${k}: ${id}`);
  for (const a of v.artifacts) lines.push(`  wrote:   ${a}`);
  if (v.error) lines.push(`  error:   ${v.error}`);
  return lines.join('\n');
}
