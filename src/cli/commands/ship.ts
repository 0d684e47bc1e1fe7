import type { Command } from 'commander';
import { shipWorkflowId, type ShipInput } from '../../contracts';
import { AimlError } from '../../errors';
import type { CliContext } from '../context';
import { parseWorkspace, shortId } from '../options';
import { cleanText } from '../inputs';
import { startRun } from '../start-run';
import { addBuildOptions, buildSettings, parseApproval, type BuildFlags } from './build';

export function registerShip(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('ship')
    .description('Start a SHIP run: design from the brief, then build it, as one run with both phases\' gates')
    .argument('<brief>', 'what to build, in words')
    .option('--workspace <dir>', 'target repository (default: current directory)');
  addBuildOptions(cmd).action(async (brief: string, flags: BuildFlags) => {
    if (!brief.trim()) throw new AimlError('USAGE', 'The brief is empty');
    const approval = parseApproval(flags.approve, flags.autoApprove);
    const settings = buildSettings(flags);
    const input: ShipInput = {
      brief: cleanText(brief),
      workspace: parseWorkspace(flags.workspace),
      designApproval: { ...settings.gatePolicy, mode: approval === 'none' ? 'auto' : 'manual' },
      buildApproval: approval,
      ...settings,
    };
    if (flags.force) input.force = true;
    await startRun(ctx, 'ship', flags.id ?? shipWorkflowId(shortId()), input, flags);
  });
}
