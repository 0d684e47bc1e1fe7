import type { Command } from 'commander';
import { describeBudget, type RunBudget } from '../contracts';
import { AimlError } from '../errors';
import { parsePositiveInt } from './options';

/** Dollars: a positive number with at most 6 decimals (`2`, `0.50`). */
export function parseUsd(flag: string, value: string): number {
  const n = Number(value.trim().replace(/^\$/, ''));
  if (!/^\$?\d+(\.\d{1,6})?$/.test(value.trim()) || !(n > 0) || n > 1e6) throw new AimlError('USAGE', `${flag} must be an amount in US dollars above 0 (e.g. 2.00), got "${value}"`);
  return n;
}

export interface BudgetFlags {
  budget?: string;
  budgetTokens?: string;
}

/** `--budget <usd>` and `--budget-tokens <n>`: the run's spending limit. */
export function addBudgetOptions(cmd: Command): Command {
  return cmd
    .option('--budget <usd>', "the run's spending limit in US dollars (by the worker's price table); at it the run waits at the budget gate")
    .option('--budget-tokens <n>', "the run's limit in tokens (prompt + completion); at it the run waits at the budget gate");
}

export function runBudgetFrom(flags: BudgetFlags): RunBudget | undefined {
  const b: RunBudget = {};
  if (flags.budget !== undefined) b.usd = parseUsd('--budget', flags.budget);
  if (flags.budgetTokens !== undefined) b.tokens = parsePositiveInt('--budget-tokens', flags.budgetTokens);
  return Object.keys(b).length ? b : undefined;
}

/** Said when a run starts with a budget: the limit, and what happens at it. */
export function budgetNotice(workflowId: string, b: RunBudget): string {
  return `budget: ${describeBudget(b)}. When it is reached the run waits at the budget gate: aiml approve ${workflowId} --top-up <usd> to go on, aiml reject ${workflowId} to stop it.`;
}
