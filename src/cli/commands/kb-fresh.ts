import type { Command } from 'commander';
import path from 'node:path';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { ingestWorkflowId, WORKFLOW_TYPES, type IngestInput } from '../../contracts';
import { hostRouting } from '../../config-hosts';
import { AimlError } from '../../errors';
import { stateDir } from '../../paths';
import { parseInterval, watchFolder } from '../../rag/watch';
import { type CliContext, printJson } from '../context';
import { parsePositiveInt } from '../options';
import { defaultKbName, runIngest, summary } from './kb-common';
import { kbRegistry } from '../kb-registry';
import { existingDir, workerDir } from './kb-input';

/** The Temporal Schedule that keeps a knowledge base in sync. */
export function kbScheduleId(kb: string): string {
  return `kb-sync-${kb}`;
}

/** `aiml kb watch` and `aiml kb schedule`: knowledge bases that stay fresh. */
export function registerKbFresh(kb: Command, ctx: CliContext): void {
  kb.command('watch')
    .description('Sync a folder into a knowledge base now and again whenever its files change (debounced), through the ingest workflow; Ctrl-C stops')
    .argument('<dir>', 'folder to watch')
    .option('--kb <name>', 'knowledge-base name (default: the folder name)')
    .option('--debounce <ms>', 'quiet time after the last change before a sync', '1000')
    .option('--json', 'one JSON line per sync')
    .action(async (dir: string, flags: { kb?: string; debounce: string; json?: boolean }) => {
      const abs = existingDir(dir);
      const name = flags.kb ?? defaultKbName(abs);
      const debounceMs = parsePositiveInt('--debounce', flags.debounce);
      const state = path.relative(abs, stateDir(ctx.env));
      const inState = (rel: string) => !state.startsWith('..') && !path.isAbsolute(state) && (rel === state || rel.startsWith(`${state}/`));
      const sync = async () => {
        const result = await runIngest(ctx, { kb: name, dir: workerDir(abs, ctx.env) }, { quiet: true });
        ctx.out(flags.json ? JSON.stringify(result) : summary(result));
      };
      await sync(); // up to date before watching
      const watch = watchFolder(abs, { debounceMs, ignore: inState, onError: (err) => ctx.err(`aiml: ${(err as Error).message}`) }, sync);
      if (!flags.json) ctx.err(`Watching ${abs} for "${name}" (Ctrl-C stops)`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await watch.close();
    });

  kb.command('schedule')
    .description('Sync a knowledge base on a Temporal Schedule (for folders that change elsewhere); --off removes it')
    .argument('[dir]', 'folder to index (needed when the knowledge base does not exist yet)')
    .option('--kb <name>', 'knowledge-base name (default: the folder name)')
    .option('--every <interval>', 'how often: 90s, 15m, 1h, 1d …')
    .option('--off', 'remove the schedule')
    .option('--json', 'machine-readable output')
    .action(async (dir: string | undefined, flags: { kb?: string; every?: string; off?: boolean; json?: boolean }) => {
      const abs = dir === undefined ? undefined : existingDir(dir);
      const name = flags.kb ?? (abs ? defaultKbName(abs) : undefined);
      if (!name) throw new AimlError('USAGE', 'Name the knowledge base: aiml kb schedule <dir> --every 1h, or --kb <name>');
      const client = await ctx.client();
      const scheduleId = kbScheduleId(name);
      if (flags.off) {
        await client.schedule
          .getHandle(scheduleId)
          .delete()
          .catch((err: unknown) => {
            if (err instanceof ScheduleNotFoundError) throw new AimlError('KB_NOT_FOUND', `Knowledge base "${name}" has no sync schedule`);
            throw err;
          });
        if (flags.json) printJson(ctx, { kb: name, schedule: scheduleId, removed: true });
        else ctx.out(`Removed the sync schedule of "${name}"`);
        return;
      }
      const every = flags.every ? parseInterval(flags.every) : undefined;
      if (!every) throw new AimlError('USAGE', `--every must be a number and a unit (s, m, h or d), like 15m or 1h; got "${flags.every ?? ''}"`);
      if (every < 60_000) throw new AimlError('USAGE', `--every ${flags.every} is too often: at least 1m`);
      const known = kbRegistry(ctx).exists(name);
      if (!known && !abs) throw new AimlError('KB_NOT_FOUND', `Knowledge base "${name}" does not exist: give its folder, aiml kb schedule <dir> --kb ${name} --every ${flags.every}`);
      const input: IngestInput = abs ? { kb: name, dir: workerDir(abs, ctx.env) } : { kb: name };
      const action = { type: 'startWorkflow' as const, workflowType: WORKFLOW_TYPES.ingest, taskQueue: hostRouting(ctx.temporal().taskQueue, ctx.env).hostQueue, workflowId: ingestWorkflowId(name), args: [input] };
      const spec = { intervals: [{ every }] };
      const existing = client.schedule.getHandle(scheduleId);
      const updated = await existing
        .update((prev) => ({ ...prev, spec, action }))
        .then(() => true)
        .catch((err: unknown) => {
          if (err instanceof ScheduleNotFoundError) return false;
          throw err;
        });
      if (!updated) {
        await client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: every }, state: { triggerImmediately: true } });
      }
      if (flags.json) printJson(ctx, { kb: name, schedule: scheduleId, everyMs: every, created: !updated });
      else ctx.out(`${updated ? 'Updated' : 'Created'} schedule ${scheduleId}: "${name}" syncs every ${flags.every}${updated ? '' : ' (first sync now)'}`);
    });
}
