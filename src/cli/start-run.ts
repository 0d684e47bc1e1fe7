import type { AimlClient, WorkflowInputs, WorkflowType } from '../client/aiml-client';
import type { CliContext } from './context';
import { checkedInput } from './inputs';
import { printJson } from './context';
import { formatRun } from './run-view';
import { stepLine } from './watch';
import { budgetNotice } from './budget-options';
import type { RunBudget } from '../contracts';
import { checkRunKb } from './kb-registry';

/**
 * Starts a workflow and reports it the way every starting command does: its id (or `--json`
 * `{workflowId}`), or with `--wait` its progress until it ends or waits for a decision.
 */
export async function startRun<T extends WorkflowType>(ctx: CliContext, type: T, workflowId: string, input: WorkflowInputs[T], flags: { wait?: boolean; json?: boolean }): Promise<void> {
  const checked = checkedInput(type, input);
  const kb = (checked as { kb?: string }).kb;
  if (kb) checkRunKb(ctx, kb);
  const aiml = await ctx.aiml();
  await aiml.start(type, workflowId, checked);
  await warnIfNoWorker(ctx, aiml, 'the run');
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

/**
 * Says so when no worker polls the queue a run (or sync) just started on: it is not lost, it waits,
 * and the usual cause is a worker that runs elsewhere (a container, another machine) under another
 * host id.
 */
export async function warnIfNoWorker(ctx: CliContext, aiml: AimlClient, what: string): Promise<void> {
  const routing = aiml.opts.routing;
  const queue = routing?.hostQueue ?? aiml.opts.taskQueue;
  if (await aiml.workerMayBeLive(queue)) return;
  const host = routing ? ` for host "${routing.host}"` : '';
  const elsewhere = routing ? `; if the worker runs elsewhere (a container, another machine), set AIML_HOST_ID to its host id (docker-compose.yml's: aiml-docker)` : '';
  ctx.err(`aiml: no worker${host} is polling task queue "${queue}" yet: ${what} waits until one does. Start one with "aiml worker" on this host${elsewhere}.`);
}
