import type { Usage } from './run';

/**
 * A run's spending limit (run input): dollars by the worker's price table, tokens (prompt +
 * completion), or both. Reaching either parks the run at the `budget` gate before its next LLM
 * call: approve with a top-up to go on, reject to stop the run cleanly.
 */
export interface RunBudget {
  usd?: number;
  tokens?: number;
}

/** The gate a run waits at when its budget is spent (the same name in design, build and ship's children). */
export const BUDGET_GATE = 'budget';

/** One top-up decided at the budget gate. */
export interface TopUp {
  by: string;
  at: string;
  usd?: number;
  tokens?: number;
}

/** The run's budget as its state shows it: the limit now (after top-ups) and each top-up. */
export interface BudgetView {
  limit: RunBudget;
  topUps: TopUp[];
  /** Set when a person stopped the run at the budget gate. */
  stoppedBy?: string;
}

/** What is spent against which limit, in words, when a limit is reached; undefined while within. */
export function budgetReached(limit: RunBudget, usage: Usage): string | undefined {
  const spentUsd = usage.costUsd ?? 0;
  if (limit.usd !== undefined && spentUsd >= limit.usd) return `$${spentUsd.toFixed(4)} spent of $${limit.usd.toFixed(2)}`;
  if (limit.tokens !== undefined && usage.totalTokens >= limit.tokens) return `${usage.totalTokens} tokens spent of ${limit.tokens}`;
  return undefined;
}

/** The limit after a top-up: each amount is added to its own limit (a limit that was not set stays unset). */
export function toppedUp(limit: RunBudget, top: { usd?: number; tokens?: number }): RunBudget {
  return {
    ...(limit.usd !== undefined ? { usd: Math.round((limit.usd + (top.usd ?? 0)) * 1e8) / 1e8 } : {}),
    ...(limit.tokens !== undefined ? { tokens: limit.tokens + (top.tokens ?? 0) } : {}),
  };
}

/** What is left of `limit` after `usage` (never below 0): the budget a next phase (ship's build) starts with. */
export function remaining(limit: RunBudget, usage: Usage): RunBudget {
  return {
    ...(limit.usd !== undefined ? { usd: Math.max(0, Math.round((limit.usd - (usage.costUsd ?? 0)) * 1e8) / 1e8) } : {}),
    ...(limit.tokens !== undefined ? { tokens: Math.max(0, limit.tokens - usage.totalTokens) } : {}),
  };
}

/** `$2.00 and 100000 tokens` */
export function describeBudget(b: RunBudget): string {
  const parts = [...(b.usd !== undefined ? [`$${b.usd.toFixed(2)}`] : []), ...(b.tokens !== undefined ? [`${b.tokens} tokens`] : [])];
  return parts.length ? parts.join(' and ') : 'no limit';
}
