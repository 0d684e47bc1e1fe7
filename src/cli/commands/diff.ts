import type { Command } from 'commander';
import { type BuildStepState, type RunState } from '../../contracts';
import { netChanges } from '../../builder/net-changes';
import { AimlError, isAimlError } from '../../errors';
import { loadBlobConfig, loadHostConfig } from '../../config-hosts';
import { stateDir } from '../../paths';
import { blobStoreFor } from '../../storage/open-blob-store';
import type { BlobStore } from '../../storage/blob-store';
import { renderDiff } from '../../workspace/diff';
import { Journal } from '../../workspace/journal';
import { type CliContext, printJson } from '../context';
import { parsePositiveInt } from '../options';

export interface StepDiff {
  n: number;
  title: string;
  status: string;
  /** pending: proposed, waiting for a decision; applied: what the step wrote. */
  kind: 'pending' | 'applied';
  diff: string;
}

/** Diffs from the run's state (a query its worker answers); their texts from the blob store, fetched from the shared one if need be. */
async function fromState(state: RunState, blobs: BlobStore, step?: number): Promise<StepDiff[]> {
  const steps = (state.details.steps as BuildStepState[] | undefined) ?? [];
  const shown: { s: BuildStepState; pending: boolean; ref: string }[] = [];
  for (const s of steps) {
    if (step !== undefined && s.n !== step) continue;
    const pendingNow = state.pendingGate === `build/step-${s.n}` && s.status === 'awaiting_approval' && Boolean(s.diffRef);
    const ref = pendingNow ? s.diffRef : s.appliedDiffRef;
    if (ref) shown.push({ s, pending: pendingNow, ref });
  }
  await blobs.fetch(shown.map((d) => d.ref), 0);
  return shown.map(({ s, pending, ref }) => ({ n: s.n, title: s.title, status: s.status, kind: pending ? 'pending' : 'applied', diff: blobs.get(ref) }));
}

/** Applied diffs from the local undo journal (no worker needed). */
function fromJournal(home: string, blobs: BlobStore, workflowId: string, step?: number): StepDiff[] {
  const entries = new Journal(home, workflowId).read().entries.filter((e) => step === undefined || e.step === step);
  const steps = [...new Set(entries.map((e) => e.step))].sort((a, b) => a - b);
  return steps.map((n) => ({
    n,
    title: `step ${n}`,
    status: 'applied',
    kind: 'applied' as const,
    diff: renderDiff(netChanges(entries.filter((e) => e.step === n), blobs)),
  }));
}

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command('diff')
    .description("Show a build run's diffs: the one waiting for approval, or what each step applied")
    .argument('<id>', 'build workflow id')
    .option('--step <n>', 'only this step')
    .option('--json', 'machine-readable output')
    .action(async (id: string, flags: { step?: string; json?: boolean }) => {
      const step = flags.step ? parsePositiveInt('--step', flags.step) : undefined;
      const home = stateDir(ctx.env);
      const blobs = blobStoreFor(home, loadBlobConfig(ctx.env));
      const aiml = await ctx.aiml();
      const view = await aiml.describe(id);
      if (view.type !== 'build') throw new AimlError('USAGE', `${id} is a ${view.type} run; diff works on build runs${view.children?.build ? ` (its build is ${view.children.build})` : ''}`);
      // A run of another host: only its worker can answer, and its journal is not here.
      const elsewhere = view.host !== undefined && view.host !== loadHostConfig(ctx.env).hostId;
      const state = elsewhere
        ? await aiml.queryOwner(view, 5000)
        : (await aiml.workerMayBeLive(view.taskQueue))
          ? await aiml.query(id, 3000).catch(() => undefined)
          : undefined;
      const planned = ((state?.details.steps as BuildStepState[] | undefined) ?? []).length;
      if (step !== undefined && planned > 0 && step > planned) throw new AimlError('USAGE', `${id} has ${planned} step${planned === 1 ? '' : 's'}: there is no step ${step}`);
      // With no worker to answer, what was applied is still in the local journal.
      const source: 'state' | 'journal' = state ? 'state' : 'journal';
      const diffs = state
        ? await fromState(state, blobs, step).catch((err: unknown) => {
            // The texts stay in the blob store of the host that wrote them unless the hosts share one.
            if (view.host && isAimlError(err, 'BLOB_MISSING')) {
              throw new AimlError(
                'BLOB_MISSING',
                `The diffs of ${id} are in the blob store of host "${view.host}", which this machine does not share: run aiml diff on that host (for docker-compose.yml: docker compose exec worker bin/aiml diff ${id}), or give every host one store (AIML_BLOB_STORE=s3, docs/operations.md)`,
              );
            }
            throw err;
          })
        : fromJournal(home, blobs, id, step);
      if (flags.json) return printJson(ctx, { workflowId: id, source, steps: diffs });
      if (diffs.length === 0) {
        ctx.out(step ? `Step ${step} of ${id} has no diff yet.` : `${id} has no diffs yet.`);
        return;
      }
      for (const d of diffs) {
        ctx.out(`# step ${d.n}: ${d.title} (${d.kind === 'pending' ? 'pending approval' : 'applied'})`);
        ctx.out(d.diff || '(no changes)');
      }
    });
}
