import readline from 'node:readline/promises';
import type { RunView } from '../client/run-view';
import { isAimlError } from '../errors';
import { type CliContext, whoAmI } from './context';
import { decideAndReport } from './commands/decide';
import { cleanText } from './inputs';
import { formatRun } from './run-view';

/**
 * The interactive prompt of `aiml run` at a gate: shows the digest and asks. The decision takes
 * the same path as `aiml approve`/`reject` and its answer is printed the same way.
 */
export async function askAtGate(ctx: CliContext, view: RunView, say: (text: string) => void): Promise<'decided' | 'leave'> {
  const aiml = await ctx.aiml();
  const state = await aiml.query(view.pendingGateWorkflowId ?? view.workflowId, 10_000);
  const digest = typeof state.details.digest === 'string' ? state.details.digest : '';
  say(`\n--- ${view.pendingGate} is waiting for your decision ---\n${digest}\n`);
  if (!process.stdin.isTTY) {
    say(formatRun(view));
    say('(No terminal to ask on: decide from another shell with the commands above; this process keeps the worker running.)');
    return 'leave';
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const decide = async (decision: 'approve' | 'reject', feedback?: string): Promise<'decided'> => {
    try {
      await decideAndReport(ctx, view.workflowId, { decision, gate: view.pendingGate ?? undefined, feedback, by: whoAmI(ctx.env) });
    } catch (err) {
      if (!isAimlError(err)) throw err;
      ctx.err(`Not applied: ${err.message}`); // decided elsewhere meanwhile, say: the run is followed again
    }
    return 'decided';
  };
  try {
    for (;;) {
      const answer = (await rl.question('[a]pprove, [r]eject with feedback, or [q]uit and leave it waiting? ')).trim().toLowerCase();
      if (answer === 'a' || answer === 'approve') return await decide('approve');
      if (answer === 'r' || answer === 'reject') {
        const feedback = cleanText(await rl.question('What should change? ')).trim();
        if (!feedback) {
          ctx.err('Feedback is needed for a rejection.');
          continue;
        }
        return await decide('reject', feedback);
      }
      if (answer === 'q' || answer === 'quit') return 'leave';
    }
  } finally {
    rl.close();
  }
}
