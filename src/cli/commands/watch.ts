import type { Command } from 'commander';
import { type CliContext, printJson } from '../context';
import { formatRun } from '../run-view';
import { stepLine, toolCallLine } from '../watch';
import { StreamPrinter } from '../stream';

export function registerWatch(program: Command, ctx: CliContext): void {
  program
    .command('watch')
    .description("Follow a run's progress (with retries and their causes) until it ends, waits for a decision or is stuck")
    .argument('<id>', 'workflow id')
    .option('--json', 'print the final state as JSON')
    .option('--no-stream', "don't show the model's text as it is generated")
    .action(async (id: string, flags: { json?: boolean; stream?: boolean }) => {
      const out = new StreamPrinter(ctx);
      const aiml = await ctx.aiml();
      const view = await aiml.watch(id, {
        onChange: flags.json ? undefined : (v) => out.line(stepLine(v)),
        onToolCall: flags.json ? undefined : (c) => out.line(toolCallLine(c)),
        onSwitch: flags.json ? undefined : (line) => out.line(`  provider switch: ${line}`),
        onText: flags.json || flags.stream === false ? undefined : (t) => out.text(t),
      });
      if (flags.json) printJson(ctx, view);
      else out.line(formatRun(view, view.type === 'ingest' ? await aiml.ingestProgress(view) : undefined));
      if (view.status === 'failed' || view.status === 'cancelled' || view.trouble?.kind === 'workflow_task_failing') ctx.exitCode = 1;
    });
}
