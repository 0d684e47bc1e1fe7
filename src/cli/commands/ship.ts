import type { Command } from 'commander';
import { shipWorkflowId, WORKFLOW_TYPES, type ShipInput } from '../../contracts';
import { AimlError } from '../../errors';
import { type CliContext, printJson } from '../context';
import { parseWorkspace, shortId } from '../options';
import { formatRun } from '../run-view';
import { followRun, stepLine } from '../watch';
import { approvalPolicy } from './design';
import { addBuildOptions, parseApproval, parseLimits, type BuildFlags } from './build';

export function registerShip(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('ship')
    .description('Start a SHIP run: design from the brief, then build it, as one run with both phases\' gates')
    .argument('<brief>', 'what to build, in words')
    .option('--workspace <dir>', 'target repository (default: current directory)');
  addBuildOptions(cmd).action(async (brief: string, flags: BuildFlags) => {
    if (!brief.trim()) throw new AimlError('USAGE', 'The brief is empty');
    const approval = parseApproval(flags.approve, flags.autoApprove);
    const { mode: _mode, ...gatePolicy } = approvalPolicy({ ...flags, autoApprove: false });
    const input: ShipInput = {
      brief,
      workspace: parseWorkspace(flags.workspace),
      designApproval: { ...gatePolicy, mode: approval === 'none' ? 'auto' : 'manual' },
      buildApproval: approval,
    };
    if (Object.keys(gatePolicy).length) input.gatePolicy = gatePolicy;
    if (flags.check !== undefined) input.checkCommand = flags.check;
    const limits = parseLimits(flags);
    if (limits) input.limits = limits;
    if (flags.model) input.model = flags.model;
    if (flags.kb) input.kb = flags.kb;
    const client = await ctx.client();
    const workflowId = flags.id ?? shipWorkflowId(shortId());
    await client.workflow.start(WORKFLOW_TYPES.ship, { taskQueue: ctx.temporal().taskQueue, workflowId, args: [input] });
    if (!flags.wait) {
      if (flags.json) printJson(ctx, { workflowId });
      else ctx.out(workflowId);
      return;
    }
    const view = await followRun(client, workflowId, { onStep: flags.json ? undefined : (v) => ctx.err(stepLine(v)) });
    if (flags.json) printJson(ctx, view);
    else ctx.out(formatRun(view));
    if (view.status === 'failed' || view.status === 'cancelled') ctx.exitCode = 1;
  });
}
