import type { CliContext } from './context';
import { printJson } from './context';
import { formatRun } from './run-view';
import { followRun, stepLine } from './watch';

/**
 * Starts a workflow and reports it the way every starting command does: its id (or `--json`
 * `{workflowId}`), or with `--wait` its progress until it ends or waits for a decision.
 */
export async function startRun(ctx: CliContext, type: string, workflowId: string, input: unknown, flags: { wait?: boolean; json?: boolean }): Promise<void> {
  const client = await ctx.client();
  await client.workflow.start(type, { taskQueue: ctx.temporal().taskQueue, workflowId, args: [input] });
  if (!flags.wait) {
    if (flags.json) printJson(ctx, { workflowId });
    else ctx.out(workflowId);
    return;
  }
  const view = await followRun(client, workflowId, { onStep: flags.json ? undefined : (v) => ctx.err(stepLine(v)) });
  if (flags.json) printJson(ctx, view);
  else ctx.out(formatRun(view));
  if (view.status === 'failed' || view.status === 'cancelled') ctx.exitCode = 1;
}
