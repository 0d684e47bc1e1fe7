import type { Command } from 'commander';
import { stateQuery } from '../../contracts';
import { type CliContext, printJson } from '../context';
import { describeRun, formatRun } from '../run-view';

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('Show a run: phase, status, pending gate, token usage, files written')
    .argument('<id>', 'workflow id')
    .option('--json', 'machine-readable output')
    .option('--full', 'also ask the worker for gate rounds and decisions (needs a running worker)')
    .action(async (id: string, flags: { json?: boolean; full?: boolean }) => {
      const client = await ctx.client();
      const view = await describeRun(client, id);
      let full: unknown;
      if (flags.full) {
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no worker answered the state query within 5s')), 5000).unref());
        full = await Promise.race([client.workflow.getHandle(id).query(stateQuery), timeout]);
      }
      if (flags.json) printJson(ctx, full ? { ...view, state: full } : view);
      else ctx.out(formatRun(view) + (full ? `\n${JSON.stringify(full, null, 2)}` : ''));
    });
}
