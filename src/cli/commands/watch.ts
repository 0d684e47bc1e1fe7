import type { Command } from 'commander';
import { type CliContext, printJson } from '../context';
import { formatRun } from '../run-view';
import { stepLine, toolCallLine } from '../watch';

export function registerWatch(program: Command, ctx: CliContext): void {
  program
    .command('watch')
    .description("Follow a run's progress (with retries and their causes) until it ends, waits for a decision or is stuck")
    .argument('<id>', 'workflow id')
    .option('--json', 'print the final state as JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      const view = await (await ctx.aiml()).watch(id, {
        onChange: flags.json ? undefined : (v) => ctx.out(stepLine(v)),
        onToolCall: flags.json ? undefined : (c) => ctx.out(toolCallLine(c)),
        onSwitch: flags.json ? undefined : (line) => ctx.out(`  provider switch: ${line}`),
      });
      if (flags.json) printJson(ctx, view);
      else ctx.out(formatRun(view));
      if (view.status === 'failed' || view.status === 'cancelled' || view.trouble?.kind === 'workflow_task_failing') ctx.exitCode = 1;
    });
}
