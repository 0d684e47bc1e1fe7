import type { Command } from 'commander';
import { type CliContext, printJson } from '../context';
import { formatRun } from '../run-view';
import { followRun, stepLine, toolCallLine } from '../watch';

export function registerWatch(program: Command, ctx: CliContext): void {
  program
    .command('watch')
    .description('Follow a run\'s progress until it ends or waits for a decision')
    .argument('<id>', 'workflow id')
    .option('--json', 'print the final state as JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      const view = await followRun(await ctx.client(), id, {
        onStep: flags.json ? undefined : (v) => ctx.out(stepLine(v)),
        onToolCall: flags.json ? undefined : (c) => ctx.out(toolCallLine(c)),
      });
      if (flags.json) printJson(ctx, view);
      else ctx.out(formatRun(view));
      if (view.status === 'failed' || view.status === 'cancelled') ctx.exitCode = 1;
    });
}
