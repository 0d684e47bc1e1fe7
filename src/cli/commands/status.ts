import type { Command } from 'commander';
import { type CliContext, printJson } from '../context';
import { formatRun } from '../run-view';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('Show a run: phase, status, pending gate, retries and failures with their cause, token usage, files written')
    .argument('<id>', 'workflow id')
    .option('--json', 'machine-readable output')
    .option('--full', 'also ask the worker for gate rounds and decisions (needs a running worker)')
    .action(async (id: string, flags: { json?: boolean; full?: boolean }) => {
      const aiml = await ctx.aiml();
      const view = await aiml.describe(id);
      const full = flags.full ? await aiml.query(id, 5000) : undefined;
      if (flags.json) printJson(ctx, full ? { ...view, state: full } : view);
      else ctx.out(formatRun(view) + (full ? `\n${JSON.stringify(full, null, 2)}` : ''));
    });
}
