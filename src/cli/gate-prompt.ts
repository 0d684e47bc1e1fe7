import readline from 'node:readline/promises';
import type { RunView } from '../client/run-view';
import { BUDGET_GATE, type DecideInput } from '../contracts';
import { isAimlError } from '../errors';
import { type CliContext, whoAmI } from './context';
import { decideAndReport } from './commands/decide';
import { parseUsd } from './budget-options';
import { cleanText } from './inputs';
import { parsePositiveInt } from './options';
import { formatRun } from './run-view';

/** Where the prompt's answers come from: the terminal (readline), or a test's script. */
export interface Asker {
  question(text: string): Promise<string>;
  close(): void;
}

/** The terminal, when there is one to ask on. */
function terminalAsker(): Asker | undefined {
  return process.stdin.isTTY ? readline.createInterface({ input: process.stdin, output: process.stderr }) : undefined;
}

/**
 * The interactive prompt of `aiml run` at a gate: shows the digest and asks. The decision takes
 * the same path as `aiml approve`/`reject` and its answer is printed the same way. At the budget
 * gate an approval asks for the top-up (for each limit the run has) and a rejection stops the run.
 */
export async function askAtGate(ctx: CliContext, view: RunView, say: (text: string) => void, asker: Asker | undefined = terminalAsker()): Promise<'decided' | 'leave'> {
  const aiml = await ctx.aiml();
  const state = await aiml.query(view.pendingGateWorkflowId ?? view.workflowId, 10_000);
  const digest = typeof state.details.digest === 'string' ? state.details.digest : '';
  say(`\n--- ${view.pendingGate} is waiting for your decision ---\n${digest}\n`);
  if (!asker) {
    say(formatRun(view));
    say('(No terminal to ask on: decide from another shell with the commands above; this process keeps the worker running.)');
    return 'leave';
  }
  const atBudget = view.pendingGate === BUDGET_GATE;
  const decide = async (decision: Omit<DecideInput, 'gate' | 'by'>): Promise<'decided'> => {
    try {
      await decideAndReport(ctx, view.workflowId, { ...decision, gate: view.pendingGate ?? undefined, by: whoAmI(ctx.env) });
    } catch (err) {
      if (!isAimlError(err)) throw err;
      ctx.err(`Not applied: ${err.message}`); // decided elsewhere meanwhile, say: the run is followed again
    }
    return 'decided';
  };
  try {
    for (;;) {
      const menu = atBudget ? '[a]pprove with a top-up, [r]eject to stop the run, or [q]uit and leave it waiting? ' : '[a]pprove, [r]eject with feedback, or [q]uit and leave it waiting? ';
      const answer = (await asker.question(menu)).trim().toLowerCase();
      if (answer === 'a' || answer === 'approve') {
        if (!atBudget) return await decide({ decision: 'approve' });
        const topUp = await askTopUp(asker, view);
        if (typeof topUp === 'string') {
          ctx.err(topUp);
          continue;
        }
        return await decide({ decision: 'approve', ...topUp });
      }
      if (answer === 'r' || answer === 'reject') {
        if (atBudget) return await decide({ decision: 'reject' });
        const feedback = cleanText(await asker.question('What should change? ')).trim();
        if (!feedback) {
          ctx.err('Feedback is needed for a rejection.');
          continue;
        }
        return await decide({ decision: 'reject', feedback });
      }
      if (answer === 'q' || answer === 'quit') return 'leave';
    }
  } finally {
    asker.close();
  }
}

/** The top-up for each limit the run has (dollars, tokens; an empty answer adds nothing to that one), or what is wrong with it. */
async function askTopUp(asker: Asker, view: RunView): Promise<{ topUpUsd?: number; topUpTokens?: number } | string> {
  const limits = view.budget ?? { usd: 0 };
  const top: { topUpUsd?: number; topUpTokens?: number } = {};
  try {
    if (limits.usd !== undefined) {
      const usd = (await asker.question('Top up by how many US dollars (e.g. 2.00)? ')).trim();
      if (usd) top.topUpUsd = parseUsd('The top-up', usd);
    }
    if (limits.tokens !== undefined) {
      const tokens = (await asker.question('Top up by how many tokens? ')).trim();
      if (tokens) top.topUpTokens = parsePositiveInt('The top-up', tokens);
    }
  } catch (err) {
    if (isAimlError(err)) return err.message;
    throw err;
  }
  return top.topUpUsd === undefined && top.topUpTokens === undefined ? 'A top-up is needed to approve at the budget gate (or reject to stop the run).' : top;
}
