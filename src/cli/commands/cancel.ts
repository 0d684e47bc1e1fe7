import type { Command } from 'commander';
import { type CliContext, printJson } from '../context';

export function registerCancel(program: Command, ctx: CliContext): void {
  program
    .command('cancel')
    .description('Cancel a run (it stops at the next step; files already written stay)')
    .argument('<id>', 'workflow id')
    .option('--json', 'machine-readable output')
    .action(async (id: string, flags: { json?: boolean }) => {
      await (await ctx.aiml()).cancel(id);
      if (flags.json) printJson(ctx, { workflowId: id, cancelRequested: true });
      else ctx.out(`Cancellation requested for ${id}`);
    });
}
