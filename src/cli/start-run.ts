import type { WorkflowInputs, WorkflowType } from '../client/aiml-client';
import type { CliContext } from './context';
import { checkedInput } from './inputs';
import { printJson } from './context';
import { formatRun } from './run-view';
import { stepLine } from './watch';
import { budgetNotice } from './budget-options';
import type { RunBudget } from '../contracts';

/**
 * Starts a workflow and reports it the way every starting command does: its id (or `--json`
 * `{workflowId}`), or with `--wait` its progress until it ends or waits for a decision.
 */
export async function startRun<T extends WorkflowType>(ctx: CliContext, type: T, workflowId: string, input: WorkflowInputs[T], flags: { wait?: boolean; json?: boolean }): Promise<void> {
  const checked = checkedInput(type, input);
  const aiml = await ctx.aiml();
  await aiml.start(type, workflowId, checked);
  const budget = (checked as { runBudget?: RunBudget }).runBudget;
  if (budget && !flags.json) ctx.err(budgetNotice(workflowId, budget));
  if (!flags.wait) {
    if (flags.json) printJson(ctx, { workflowId });
    else ctx.out(workflowId);
    return;
  }
  const view = await aiml.watch(workflowId, { onChange: flags.json ? undefined : (v) => ctx.err(stepLine(v)), onSwitch: flags.json ? undefined : (line) => ctx.err(`  provider switch: ${line}`) });
  if (flags.json) printJson(ctx, view);
  else ctx.out(formatRun(view));
  if (view.status === 'failed' || view.status === 'cancelled' || view.trouble?.kind === 'workflow_task_failing') ctx.exitCode = 1;
}
