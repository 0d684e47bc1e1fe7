import * as wf from '@temporalio/workflow';
import { BUDGET_GATE, budgetReached, describeBudget, toppedUp, type BudgetView, type RunBudget } from '../contracts/budget';
import type { ApprovalPolicy } from '../contracts/design';
import type { Phase } from '../contracts/run';
import type { GateKeeper, GateWaitOptions } from './gates';
import type { RunTracker } from './run-state';

/** Since this patch a spent budget parks the run at the `budget` gate (before: a build failed with TOKEN_BUDGET_EXCEEDED). */
export const RUN_BUDGET_PATCH = 'run-budget';

/** Thrown out of a run's LLM path when a person stops the run at the budget gate; the workflow ends cleanly. */
export class BudgetStopped extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BudgetStopped';
  }
}

export const isBudgetStop = (err: unknown): err is BudgetStopped => err instanceof BudgetStopped;

/**
 * The run's spending limit, checked before every LLM call (design drafts, build plans, agent turns,
 * one-shot steps). When the run's usage (tokens, and cost by the worker's price table) reaches
 * the limit, the run waits at the `budget` gate — the same GateKeeper and decision path as every
 * other gate: approve with a top-up raises the limit and the run goes on, reject stops it. The gate
 * never approves itself (an approval without a top-up would only park again), whatever the run's
 * approval policy; reminders still follow the policy.
 */
export class BudgetKeeper<P extends Phase = Phase> {
  private readonly view: BudgetView | undefined;

  constructor(
    private readonly run: RunTracker<P>,
    private readonly gates: GateKeeper<P>,
    limit: RunBudget | undefined,
    private readonly opts: { policy?: ApprovalPolicy; remind?: GateWaitOptions['remind'] } = {},
  ) {
    const details = run.state.details as { budget?: BudgetView };
    if (details.budget) {
      this.view = details.budget; // carried by a run that continued as new: its top-ups stay
    } else if (limit && (limit.usd !== undefined || limit.tokens !== undefined)) {
      this.view = { limit: { ...limit }, topUps: [] };
      details.budget = this.view;
    }
  }

  /** The limit now, after top-ups (undefined: the run has none). */
  get limit(): RunBudget | undefined {
    return this.view?.limit;
  }

  /** Before spending on `what`: returns at once within the limit, else parks at the budget gate until topped up or stopped. */
  async check(what: string): Promise<void> {
    const view = this.view;
    if (!view || !wf.patched(RUN_BUDGET_PATCH)) return;
    for (;;) {
      const reached = budgetReached(view.limit, this.run.state.usage);
      if (!reached) return;
      const policy: ApprovalPolicy = { mode: 'manual', ...(this.opts.policy?.reminderIntervalMs ? { reminderIntervalMs: this.opts.policy.reminderIntervalMs } : {}) };
      const d = await this.gates.wait({
        gate: BUDGET_GATE,
        summary: `budget reached before ${what}: ${reached} (limit ${describeBudget(view.limit)}). Approve with --top-up <usd> (or --top-up-tokens <n>) to go on; reject to stop the run`,
        policy,
        remind: this.opts.remind,
      });
      if (d.decision === 'reject') {
        view.stoppedBy = d.by;
        throw new BudgetStopped(`stopped by ${d.by} at the budget gate (${reached})`);
      }
      view.limit = toppedUp(view.limit, { usd: d.topUpUsd, tokens: d.topUpTokens });
      view.topUps.push({ by: d.by, at: d.at, ...(d.topUpUsd !== undefined ? { usd: d.topUpUsd } : {}), ...(d.topUpTokens !== undefined ? { tokens: d.topUpTokens } : {}) });
      this.run.publish();
    }
  }

  /** Ends the run as stopped at the budget gate: completed, not failed; the step line says who stopped it and why. */
  stopped(err: BudgetStopped): string {
    this.run.state.status = 'completed';
    this.run.state.pendingGate = null;
    this.run.state.pendingGateWorkflowId = null;
    this.run.step(err.message);
    return err.message;
  }
}
