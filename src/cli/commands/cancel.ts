import type { Command } from 'commander';
import { AimlError } from '../../errors';
import { type CliContext, printJson } from '../context';
import { describeRun } from '../run-view';

export function registerCancel(program: Command, ctx: CliContext): void {
  program
    .command('cancel')
    .description('Cancel a run (it stops at the next step; files already written stay)')
    .argument('<id>', 'workflow id')
    .option('--json', 'machine-readable output')
    .action(async (id: string, flags: { json?: boolean }) => {
      const client = await ctx.client();
      const view = await describeRun(client, id);
      if (view.closeTime) throw new AimlError('RUN_CLOSED', `Run "${id}" already ended (${view.status}); nothing to cancel`);
      await client.workflow.getHandle(id).cancel();
      if (flags.json) printJson(ctx, { workflowId: id, cancelRequested: true });
      else ctx.out(`Cancellation requested for ${id}`);
    });
}
