/** Run state shared by every aiml workflow, the CLI and the tests. Plain data only. */
import type { RunBudget } from './budget';
import type { GateSummary } from './decision';
import type { AnyRunDetails, RunDetailsByPhase } from './run-details';
import type { LlmMemo } from './llm';

export type Phase = 'design' | 'build' | 'ship' | 'ingest';
export type RunStatus = 'running' | 'awaiting_approval' | 'completed' | 'failed' | 'cancelled';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'awaiting_approval', 'completed', 'failed', 'cancelled'];

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  llmCalls: number;
  /** Wall time spent waiting on the LLM, as the gateway measured it. */
  llmMs?: number;
  /** What the calls cost in USD, by the worker's price table (calls of unpriced models add nothing). */
  costUsd?: number;
  /** Calls of a model the price table does not know: their cost is not in `costUsd`. */
  unpricedCalls?: number;
  /** Calls whose provider reported no usage: their tokens were counted by aiml. */
  estimatedCalls?: number;
}

export const ZERO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, llmCalls: 0, llmMs: 0 };

/** Sums two usages. Cost fields appear only once some call had them, so runs recorded before costs sum as they did. */
export function addUsage(a: Usage, b: Partial<Usage>): Usage {
  const sum: Usage = {
    promptTokens: a.promptTokens + (b.promptTokens ?? 0),
    completionTokens: a.completionTokens + (b.completionTokens ?? 0),
    totalTokens: a.totalTokens + (b.totalTokens ?? (b.promptTokens ?? 0) + (b.completionTokens ?? 0)),
    llmCalls: a.llmCalls + (b.llmCalls ?? 0),
    llmMs: (a.llmMs ?? 0) + (b.llmMs ?? 0),
  };
  for (const k of ['costUsd', 'unpricedCalls', 'estimatedCalls'] as const) {
    if (a[k] !== undefined || b[k] !== undefined) sum[k] = k === 'costUsd' ? roundUsd((a[k] ?? 0) + (b[k] ?? 0)) : (a[k] ?? 0) + (b[k] ?? 0);
  }
  return sum;
}

/** Dollars kept to a millionth of a cent, so sums do not drift. */
export const roundUsd = (usd: number): number => Math.round(usd * 1e8) / 1e8;

/** One activity's usage: its calls' tokens and cost (a gateway TokenUsage, summed), how many calls, how long. */
export function callUsage(
  u: { promptTokens: number; completionTokens: number; totalTokens: number; costUsd?: number; unpriced?: boolean; estimated?: boolean },
  llmCalls: number,
  llmMs?: number,
): Usage {
  return {
    promptTokens: u.promptTokens,
    completionTokens: u.completionTokens,
    totalTokens: u.totalTokens,
    llmCalls,
    ...(llmMs !== undefined ? { llmMs: Math.round(llmMs) } : {}),
    ...(u.costUsd !== undefined ? { costUsd: u.costUsd } : {}),
    ...(u.unpriced ? { unpricedCalls: llmCalls } : {}),
    ...(u.estimated ? { estimatedCalls: llmCalls } : {}),
  };
}

export type GateStatus = 'pending' | 'approved' | 'rejected' | 'timed_out';
export type DecisionKind = 'approve' | 'reject';

/** One decision on one round of a gate: who, when, what, through which channel. */
export interface GateDecision {
  gate: string;
  round: number;
  decision: DecisionKind;
  by: string;
  at: string; // ISO-8601, workflow time
  comment?: string;
  feedback?: string;
  /** An approval that also allows the command's pattern for the rest of the run. */
  remember?: 'pattern';
  /** A rejection that stops the step. */
  stop?: boolean;
  /** At the budget gate: what the approval added to the run's limit. */
  topUpUsd?: number;
  topUpTokens?: number;
  via: 'signal' | 'update' | 'policy';
}

/** One round of a gate. A rejected round is followed by a new round of the same gate. */
export interface GateRound {
  gate: string;
  round: number;
  status: GateStatus;
  openedAt: string;
  /** What a person is asked to decide, in one line. */
  summary: string;
  /** The exact CLI command that approves it. */
  approveCommand: string;
  decision?: GateDecision;
  reminders: number;
}

/**
 * A signal that changed nothing and was recorded instead (signals cannot be refused): a decision
 * that could not apply, a malformed payload, or a signal name the run does not know.
 */
export interface IgnoredDecision {
  at: string;
  /** The signal's name (`approve`, `reject`, `childState`, or an unknown one). */
  signal: string;
  /** Set when the payload parsed as a decision. */
  decision?: DecisionKind;
  gate?: string;
  by?: string;
  reason: string;
}

/** A run's state; `RunState<'build'>` has the build's details typed, plain `RunState` any phase's. */
export interface RunState<P extends Phase = Phase> {
  phase: P;
  status: RunStatus;
  /** What the run is doing or waiting for, in words. */
  step: string;
  pendingGate: string | null;
  /** Workflow id that owns the pending gate (a child, for `ship`). */
  pendingGateWorkflowId: string | null;
  gates: GateRound[];
  /** The latest refused signals (at most LIMITS.ignoredKept). */
  ignoredDecisions: IgnoredDecision[];
  /** How many signals were refused in all, including those no longer kept. */
  ignoredTotal: number;
  usage: Usage;
  /** Files written into the workspace (absolute paths). */
  artifacts: string[];
  error: string | null;
  /** Phase-specific detail (design round, build steps, child ids...), typed per phase. */
  details: Phase extends P ? AnyRunDetails : RunDetailsByPhase[P];
}

/** Memo key under which every aiml workflow keeps a summary readable without a worker. */
export const RUN_MEMO_KEY = 'aiml';

export interface RunMemo {
  step: string;
  pendingGate: string | null;
  pendingGateWorkflowId: string | null;
  usage: Usage;
  artifacts: string[];
  error: string | null;
  /** Child workflow ids by phase (for `ship`). */
  children?: Record<string, string>;
  /** Every gate round so far, without summaries: enough for `checkDecision` with no worker running. */
  gates?: GateSummary[];
  /** The spending limit now (after top-ups), when the run has one. */
  budget?: RunBudget;
  /** Tokens and cost per phase (ship: per finished child). */
  byPhase?: Record<string, Usage>;
  /** Model providers: routes per role, the latest call's provider, switches. */
  llm?: LlmMemo;
}
