import type { Command } from 'commander';
import { hostDownMessage, type AimlClient } from '../../client/aiml-client';
import type { RunView } from '../../client/run-view';
import type { RunState } from '../../contracts';
import { AimlError, isAimlError } from '../../errors';
import { type CliContext, printJson } from '../context';
import { formatRun } from '../run-view';

/** The state, or for an ended run without a worker no state, its result where it has one, and why. */
interface FullState {
  state: RunState | null;
  result?: unknown;
  stateNote?: string;
}

/**
 * `--full`: the run's state, which its worker answers. An ended run whose worker is gone (an
 * `aiml run` stops its own when the run ends) still has its result in its history: that, and a
 * note saying why the state is missing, rather than an error.
 */
async function fullState(aiml: AimlClient, view: RunView): Promise<FullState> {
  if (view.closeTime && !(await aiml.workerMayBeLive(view.taskQueue))) return endedWithoutWorker(aiml, view);
  try {
    return { state: await aiml.query(view.workflowId, 5000) };
  } catch (err) {
    if (view.closeTime && isAimlError(err, 'NO_WORKER_ANSWER')) return endedWithoutWorker(aiml, view);
    throw err;
  }
}

async function endedWithoutWorker(aiml: AimlClient, view: RunView): Promise<FullState> {
  const why = `the run has ended (${view.status}) and no worker answers for it, so its full state cannot be read (start "aiml worker" for it)`;
  if (view.status !== 'completed') return { state: null, stateNote: `${why}; above is what its history keeps` };
  const result = await aiml.result(view.workflowId);
  return { state: null, result, stateNote: `${why}; below is its result, from its history` };
}

export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('Show a run: phase, status, pending gate, retries and failures with their cause, token usage, files written')
    .argument('<id>', 'workflow id')
    .option('--json', 'machine-readable output')
    .option('--full', 'also the full state from the run\'s worker (steps, tool calls, ignored decisions); for an ended run with no worker, its result')
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
      const full = flags.full && view.type !== 'ingest' ? await fullState(aiml, view) : undefined;
      const shown = { ...view, ...(hostWorker ? { hostWorker } : {}), ...(sync ? { sync } : {}) };
      if (flags.json) printJson(ctx, full ? { ...shown, ...full } : shown);
      else {
        const more = full?.state ?? full?.result;
        const note = full?.stateNote ? `\n  note:    ${full.stateNote}` : '';
        ctx.out(formatRun(view, sync) + (hostWorker === 'not running' ? `\n  warning: ${hostDownMessage(view)}` : '') + note + (more !== undefined ? `\n${JSON.stringify(more, null, 2)}` : ''));
      }
    });
}
