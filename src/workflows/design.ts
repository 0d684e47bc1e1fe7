import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { GatherContextOutput } from '../activities/design';
import { DESIGN_GATE, type ArchitectureDraft, type DesignInput, type DesignResult } from '../contracts/design';
import { parseDesignInput } from '../contracts/parse-inputs';
import { addUsage } from '../contracts/run';
import { IO_ACTIVITY, LLM_ACTIVITY, LOCAL_IO } from './activity-options';
import { OUTPUT_CHECK_PATCH, validInput } from './boundary';
import { BudgetKeeper, isBudgetStop } from './budget';
import { GateKeeper } from './gates';
import { noteProvider, recordRoutes } from './llm-view';
import { RunTracker } from './run-state';
import { routesFor } from './routing';
import { decidePatchesAtStart, DESIGN_PATCHES } from './patches';

const io = wf.proxyActivities<Activities>(IO_ACTIVITY);
const llm = wf.proxyActivities<Activities>(LLM_ACTIVITY);
const local = wf.proxyLocalActivities<Activities>(LOCAL_IO);

/**
 * DESIGN: gather context → draft the architecture (structured, validated) → gate `design/spec`
 * → on rejection, redraft with the feedback and the previous draft → on approval, write SPECS.md.
 */
function noteContext(run: RunTracker<'design'>, context: GatherContextOutput): void {
  run.state.details.contextFiles = context.files;
  if (context.ranking) run.state.details.contextRanking = context.ranking;
  run.state.details.kbHits = context.kbHits;
  if (context.redactions) run.state.details.redactions = context.redactions;
}

export async function design(raw: DesignInput): Promise<DesignResult> {
  decidePatchesAtStart(DESIGN_PATCHES);
  const input = validInput(parseDesignInput(raw));
  const specFile = input.specFile ?? 'SPECS.md';
  const run = new RunTracker('design', { details: { round: 0, brief: input.brief.slice(0, 200) } });
  const gates = new GateKeeper(run);
  const maxRevisions = input.maxRevisions ?? 5;
  const routes = routesFor(input.routing);
  if (routes.host) run.state.details.host = routes.host;
  const remind: Parameters<GateKeeper['wait']>[0]['remind'] = (g, waitedMs) =>
    io.sendReminder.executeWithOptions({ ...IO_ACTIVITY, summary: `remind: ${g.gate} waiting` }, [
      { workflowId: wf.workflowInfo().workflowId, gate: g.gate, waitedMs, approveCommand: g.approveCommand, reminder: g.reminders },
    ]);
  const budget = new BudgetKeeper(run, gates, input.runBudget, { policy: input.approval, remind });
  let draft: ArchitectureDraft | undefined;
  try {
    if (wf.patched(OUTPUT_CHECK_PATCH)) {
      // Before any drafting or gate: nobody should approve a spec that cannot be written.
      await local.checkOutputTarget.executeWithOptions({ ...LOCAL_IO, summary: `check ${specFile} can be written` }, [
        { workspace: input.workspace, file: specFile, force: input.force },
      ]);
    }
    await recordRoutes(run);
    let feedback: string | undefined;
    let contextRef: string | undefined;
    for (let round = 1; ; round++) {
      if (round > maxRevisions + 1) {
        throw wf.ApplicationFailure.nonRetryable(`Design rejected ${maxRevisions + 1} times; giving up (maxRevisions=${maxRevisions})`, 'TOO_MANY_REVISIONS');
      }
      await budget.check(round === 1 ? 'the first draft' : `redraft round ${round}`);
      run.state.details.round = round;
      const source = `the workspace${input.kb ? ` and knowledge base "${input.kb}"` : ''}`;
      run.step(round === 1 ? `gathering context from ${source} and drafting the architecture` : `redrafting the architecture with feedback (round ${round})`);
      if (routes.host && !contextRef) {
        // Gathering reads the workspace (host queue); the draft is model work (shared queue).
        const gathered = await io.gatherDesignContext.executeWithOptions({ ...IO_ACTIVITY, summary: `gather context from ${source}` }, [
          { brief: input.brief, workspace: input.workspace, kb: input.kb },
        ]);
        noteContext(run, gathered);
        contextRef = gathered.contextRef;
      }
      const out = await llm.draftArchitecture.executeWithOptions(
        { ...routes.shared(LLM_ACTIVITY), summary: round === 1 ? (routes.host ? 'draft architecture' : 'gather context, draft architecture') : `redraft architecture (round ${round})` },
        [
          {
            brief: input.brief,
            contextRef,
            gather: contextRef ? undefined : { workspace: input.workspace, kb: input.kb },
            round,
            feedback,
            previousDraft: draft,
            model: input.model,
          },
        ],
      );
      if (out.context) {
        contextRef = out.context.contextRef;
        noteContext(run, out.context);
      }
      draft = out.draft;
      run.state.usage = addUsage(run.state.usage, out.usage);
      noteProvider(run, out.provider);
      run.state.details.title = draft.title;
      run.state.details.digest = out.digest;

      const decision = await gates.wait({
        gate: DESIGN_GATE,
        summary: `architecture draft "${draft.title}" (round ${round})`,
        policy: input.approval,
        remind,
      });
      if (decision.decision === 'approve') break;
      feedback = decision.feedback;
    }

    run.step('writing SPECS.md');
    const spec = await local.writeSpec.executeWithOptions({ ...LOCAL_IO, summary: `write ${specFile}` }, [
      { workspace: input.workspace, specFile, brief: input.brief, draft, decisions: gates.decisions(), force: input.force },
    ]);
    run.state.artifacts.push(spec.path);
    run.state.status = 'completed';
    run.step(`wrote ${spec.path}`);
    return { specPath: spec.path, draft: draft!, rounds: run.state.details.round, decisions: gates.decisions(), usage: run.state.usage, ...(budget.limit ? { budget: budget.limit } : {}) };
  } catch (err) {
    if (!isBudgetStop(err)) throw run.fail(err);
    // Stopped at the budget gate: the run ends cleanly, with the last draft and no spec.
    const stopped = budget.stopped(err);
    return { specPath: null, draft: draft!, rounds: run.state.details.round, decisions: gates.decisions(), usage: run.state.usage, budget: budget.limit, stopped };
  }
}
