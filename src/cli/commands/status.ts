import type { Command } from 'commander';
import { hostDownMessage } from '../../client/aiml-client';
import { AimlError } from '../../errors';
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
      // A knowledge-base sync keeps no run state: its progress (or result) is what there is to show,
      // and its answering is its worker being there.
      const sync = view.type === 'ingest' ? await aiml.ingestProgress(view) : undefined;
      // For an open run that belongs to a host: is that host's worker there to move it?
      const answers = view.type === 'ingest' ? async () => sync !== undefined : () => aiml.ownerAnswers(view);
      const hostWorker = view.host && !view.closeTime ? ((await answers()) ? 'running' : 'not running') : undefined;
      // The full state comes from a query, which only the owning host's worker answers.
      if (flags.full && hostWorker === 'not running') throw new AimlError('HOST_WORKER_DOWN', hostDownMessage(view));
      const full = flags.full && view.type !== 'ingest' ? await aiml.query(id, 5000) : undefined;
      const shown = { ...view, ...(hostWorker ? { hostWorker } : {}), ...(sync ? { sync } : {}) };
      if (flags.json) printJson(ctx, full ? { ...shown, state: full } : shown);
      else ctx.out(formatRun(view, sync) + (hostWorker === 'not running' ? `\n  warning: ${hostDownMessage(view)}` : '') + (full ? `\n${JSON.stringify(full, null, 2)}` : ''));
    });
}
