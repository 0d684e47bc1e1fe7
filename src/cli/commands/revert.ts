import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { revertBuild } from '../../builder/revert';
import { loadHostConfig } from '../../config-hosts';
import { AimlError } from '../../errors';
import { stateDir } from '../../paths';
import { BlobStore } from '../../storage/blob-store';
import { journalPath } from '../../workspace/journal';
import { type CliContext, printJson } from '../context';
import { parsePositiveInt } from '../options';

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
      const aiml = await ctx.aiml();
      const view = await aiml.describe(id);
      if (view.type !== 'build') throw new AimlError('USAGE', `${id} is a ${view.type} run; revert works on build runs${view.children?.build ? ` (its build is ${view.children.build})` : ''}`);
      if (view.status === 'running') {
        throw new AimlError('RUN_ACTIVE', `${id} is still working (${view.step}); wait until it waits for approval or ends, or cancel it (aiml cancel ${id})`);
      }
      // The journal and the workspace are on the run's host: from another host, that host's worker
      // reverts. So it does when this machine has the run's host id but not its journal (a CLI
      // beside a container's worker: AIML_HOST_ID names the container's host).
      const home = stateDir(ctx.env);
      const elsewhere = view.host !== undefined && (view.host !== loadHostConfig(ctx.env).hostId || !fs.existsSync(journalPath(home, id)));
      const result = elsewhere
        ? await aiml.revertOnHost(view, { workflowId: id, ...(step ? { step } : {}), ...(flags.force ? { force: true } : {}) })
        : revertBuild(home, new BlobStore(path.join(home, 'blobs')), id, { step, force: flags.force });
      if (flags.json) return printJson(ctx, { workflowId: id, ...result });
      ctx.out(`Reverted step${result.steps.length === 1 ? '' : 's'} ${result.steps.join(', ')} of ${id}`);
      for (const f of result.restored) ctx.out(`  restored ${f}`);
      for (const f of result.alreadyRestored) ctx.out(`  already as before: ${f}`);
      if (elsewhere) ctx.out(`  (on host ${view.host}, by its worker)`);
    });
}
