import path from 'node:path';
import type { Command } from 'commander';
import { revertBuild } from '../../builder/revert';
import { AimlError } from '../../errors';
import { stateDir } from '../../paths';
import { BlobStore } from '../../storage/blob-store';
import { type CliContext, printJson } from '../context';
import { parsePositiveInt } from '../options';
import { describeRun } from '../run-view';

export function registerRevert(program: Command, ctx: CliContext): void {
  program
    .command('revert')
    .description("Undo a build run's applied steps from its journal, newest first (refuses files changed since, unless --force)")
    .argument('<id>', 'build workflow id')
    .option('--step <n>', 'undo this step and every later one (default: all steps)')
    .option('--force', 'overwrite files changed since the build wrote them')
    .option('--json', 'machine-readable output')
    .action(async (id: string, flags: { step?: string; force?: boolean; json?: boolean }) => {
      const step = flags.step ? parsePositiveInt('--step', flags.step) : undefined;
      const view = await describeRun(await ctx.client(), id);
      if (view.type !== 'build') throw new AimlError('USAGE', `${id} is a ${view.type} run; revert works on build runs${view.children?.build ? ` (its build is ${view.children.build})` : ''}`);
      if (view.status === 'running') {
        throw new AimlError('RUN_ACTIVE', `${id} is still working (${view.step}); wait until it waits for approval or ends, or cancel it (aiml cancel ${id})`);
      }
      const home = stateDir(ctx.env);
      const result = revertBuild(home, new BlobStore(path.join(home, 'blobs')), id, { step, force: flags.force });
      if (flags.json) return printJson(ctx, { workflowId: id, ...result });
      ctx.out(`Reverted step${result.steps.length === 1 ? '' : 's'} ${result.steps.join(', ')} of ${id}`);
      for (const f of result.restored) ctx.out(`  restored ${f}`);
      for (const f of result.alreadyRestored) ctx.out(`  already as before: ${f}`);
    });
}
