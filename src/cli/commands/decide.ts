import type { Command } from 'commander';
import type { DecisionOutcome } from '../../client/decisions';
import type { DecideInput } from '../../contracts';
import { AimlError } from '../../errors';
import { type CliContext, printJson, whoAmI } from '../context';
import { cleanText } from '../inputs';
import { parseDuration, parsePositiveInt } from '../options';
import { parseUsd } from '../budget-options';
import { BUDGET_GATE } from '../../contracts';

/** How long `approve`/`reject` wait for a live worker to apply the decision before answering "queued". */
export function decideWaitMs(env: NodeJS.ProcessEnv): number {
  return env.AIML_DECIDE_WAIT ? parseDuration('AIML_DECIDE_WAIT', env.AIML_DECIDE_WAIT) : 10_000;
}

/** The decision, sent the one way there is (see src/client/decisions.ts), and its answer in words. */
export async function decideAndReport(ctx: CliContext, id: string, input: DecideInput, json?: boolean): Promise<DecisionOutcome> {
  const outcome = await (await ctx.aiml()).decide(id, input, { waitMs: decideWaitMs(ctx.env) });
  if (json) printJson(ctx, { ...outcome, queued: outcome.outcome === 'queued' });
  else ctx.out(describeOutcome(outcome));
  return outcome;
}

export function describeOutcome(o: DecisionOutcome): string {
  if (o.outcome === 'queued') {
    return `queued: will apply when a worker picks up the run (${o.gate} of ${o.workflowId})` + (o.warning ? `\nwarning: ${o.warning}` : '');
  }
  const d = o.decision;
  return `applied: ${d.decision === 'approve' ? 'Approved' : 'Rejected'} ${d.gate} (round ${d.round}) of ${o.workflowId} as ${d.by}`;
}

/** Whether the decision goes to the budget gate, where a rejection needs no feedback: it stops the run. */
async function atBudgetGate(ctx: CliContext, id: string, gate: string | undefined): Promise<boolean> {
  if (gate !== undefined) return gate === BUDGET_GATE;
  return (await (await ctx.aiml()).describe(id)).pendingGate === BUDGET_GATE;
}

const clean = (text: string | undefined): string | undefined => (text === undefined ? undefined : cleanText(text));

export function registerDecide(program: Command, ctx: CliContext): void {
  program
    .command('approve')
    .description('Approve the pending gate of a run (answers "applied", or "queued" when no worker has picked it up yet)')
    .argument('<id>', 'workflow id')
    .option('--gate <gate>', 'gate to approve (default: the pending one)')
    .option('--comment <text>', 'a comment kept with the decision')
    .option('--remember-pattern', "at a build command gate: also allow the command's pattern (e.g. `npm test*`) for the rest of the run")
    .option('--top-up <usd>', 'at the budget gate: US dollars added to the run\'s limit')
    .option('--top-up-tokens <n>', 'at the budget gate: tokens added to the run\'s limit')
    .option('--by <name>', 'who decides (default: AIML_USER or the OS user)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, f: { gate?: string; comment?: string; by?: string; json?: boolean; rememberPattern?: boolean; topUp?: string; topUpTokens?: string }) => {
      const remember = f.rememberPattern ? { remember: 'pattern' as const } : {};
      const topUp = {
        ...(f.topUp !== undefined ? { topUpUsd: parseUsd('--top-up', f.topUp) } : {}),
        ...(f.topUpTokens !== undefined ? { topUpTokens: parsePositiveInt('--top-up-tokens', f.topUpTokens) } : {}),
      };
      await decideAndReport(ctx, id, { decision: 'approve', gate: f.gate, comment: clean(f.comment), by: whoAmI(ctx.env, f.by), ...remember, ...topUp }, f.json);
    });
  program
    .command('reject')
    .description('Reject the pending gate with feedback; the run redoes it with the feedback (at the budget gate: stops the run)')
    .argument('<id>', 'workflow id')
    .option('--feedback <text>', 'what should change (required unless --stop, or at the budget gate)')
    .option('--stop', "at a build step's tool or budget gate: end the step instead")
    .option('--gate <gate>', 'gate to reject (default: the pending one)')
    .option('--comment <text>', 'a comment kept with the decision')
    .option('--by <name>', 'who decides (default: AIML_USER or the OS user)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, f: { gate?: string; comment?: string; by?: string; feedback?: string; json?: boolean; stop?: boolean }) => {
      if (!f.stop && !f.feedback?.trim() && !(await atBudgetGate(ctx, id, f.gate))) throw new AimlError('USAGE', '--feedback must say what to change (or use --stop)');
      const feedback = f.feedback === undefined ? undefined : cleanText(f.feedback);
      await decideAndReport(ctx, id, { decision: 'reject', gate: f.gate, comment: clean(f.comment), feedback, by: whoAmI(ctx.env, f.by), ...(f.stop ? { stop: true } : {}) }, f.json);
    });
}
