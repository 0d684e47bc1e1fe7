import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DEFAULT_AGENT_BUDGET } from '../contracts/agent';
import { BUILD_PLAN_GATE, DEFAULT_BUILD_LIMITS, type AgentLoopState, type BuildInput, type BuildResult, type BuildResume, type BuildStepState, type StepRecord } from '../contracts/build';
import type { ApprovalPolicy } from '../contracts/design';
import { parseBuildInput } from '../contracts/parse-inputs';
import { addUsage, type GateRound } from '../contracts/run';
import { mergeRedactionSummaries, type RedactionSummary } from '../contracts/security';
import { IO_ACTIVITY, LLM_ACTIVITY } from './activity-options';
import { agentStep } from './agent-step';
import { OUTPUT_CHECK_PATCH, validInput } from './boundary';
import { oneShotStep } from './build-oneshot';
import { BudgetKeeper, isBudgetStop, RUN_BUDGET_PATCH } from './budget';
import { GateKeeper } from './gates';
import { noteProvider, recordRoutes } from './llm-view';
import { RunTracker } from './run-state';
import { routesFor } from './routing';
import { AGENT_LOOP_PATCH, BUILD_PATCHES, CONTINUE_AS_NEW_PATCH, decidePatchesAtStart } from './patches';
import type { StepEnv } from './step-env';



const io = wf.proxyActivities<Activities>(IO_ACTIVITY);
const llm = wf.proxyActivities<Activities>(LLM_ACTIVITY);

/**
 * BUILD: spec → plan (gate `build/plan`) → for each step: generate edits (validated, diffed) →
 * gate `build/step-N` per policy → apply (hash-guarded, journaled) → check → on failure feed the
 * output back, a bounded number of times; a step that never passes, or whose files the user
 * changed, stops at its gate with the reason shown → report in the seed's BUILD format.
 */
export async function build(raw: BuildInput): Promise<BuildResult> {
  decidePatchesAtStart(BUILD_PATCHES);
  const input = validInput(parseBuildInput(raw));
  const carried = input.resume;
  if (carried && !wf.workflowInfo().continuedFromExecutionRunId) {
    throw wf.ApplicationFailure.nonRetryable('build input: "resume" is set only by a run continuing as new; a run cannot be started with it', 'INPUT_INVALID');
  }
  const limits = { ...DEFAULT_BUILD_LIMITS, ...input.limits };
  const approval = input.approval ?? 'each';
  const steps: BuildStepState[] = carried?.steps ?? [];
  const details = { workspace: input.workspace, approval, steps, designRunId: input.designRunId ?? null };
  const run = new RunTracker(
    'build',
    carried
      ? { ...carried.run, details: { ...(carried.run.details as typeof details), steps } }
      : { details },
  );
  const gates = new GateKeeper(run);
  const routes = routesFor(input.routing);
  if (routes.host) run.state.details.host = routes.host;
  const workflowId = wf.workflowInfo().workflowId;
  const manual: ApprovalPolicy = { ...input.gatePolicy, mode: 'manual' };
  const auto: ApprovalPolicy = { mode: 'auto' };
  const remind: Parameters<GateKeeper['wait']>[0]['remind'] = (g, waitedMs) =>
    io.sendReminder.executeWithOptions({ ...IO_ACTIVITY, summary: `remind: ${g.gate} waiting` }, [
      { workflowId, gate: g.gate, waitedMs, approveCommand: g.approveCommand, reminder: g.reminders },
    ]);
  // The run's budget: --budget dollars and/or tokens (default: limits.tokenBudget). Spent, the run
  // parks at the `budget` gate; runs recorded before that failed with TOKEN_BUDGET_EXCEEDED.
  const keeper = new BudgetKeeper(run, gates, { ...input.runBudget, tokens: input.runBudget?.tokens ?? limits.tokenBudget }, { policy: manual, remind });
  const budget = async (what: string): Promise<void> => {
    if (wf.patched(RUN_BUDGET_PATCH)) return keeper.check(what);
    if (run.state.usage.totalTokens >= limits.tokenBudget) {
      throw wf.ApplicationFailure.nonRetryable(
        `Token budget of ${limits.tokenBudget} spent (${run.state.usage.totalTokens} used) before ${what}; applied steps stay in place and can be reverted with aiml revert ${workflowId}`,
        'TOKEN_BUDGET_EXCEEDED',
      );
    }
  };
  let stopped: string | undefined;

  try {
    const { prep, plan, expected, allowCommands } = carried ?? (await prepareAndPlan());
    const records: StepRecord[] = carried ? [...carried.records] : [];
    if (carried) {
      // The policy shown in details and the loop's allow-list are one list (it grows by decisions).
      if (run.state.details.policy) run.state.details.policy.allowCommands = allowCommands;
      run.step(`continued as new (${carried.generation}): step ${carried.next + 1} of ${steps.length}`);
    }
    const env: StepEnv = {
      run,
      gates,
      input,
      workflowId,
      specRef: prep.specRef,
      planRef: plan.planRef,
      checkCommand: prep.checkCommand,
      limits,
      approval,
      manual,
      remind,
      budget,
      expected,
      totalSteps: steps.length,
      allowCommands,
      shared: routes.shared,
      noteRedactions: (r) => {
        const merged = mergeRedactionSummaries(run.state.details.redactions as RedactionSummary | undefined, r);
        if (merged) run.state.details.redactions = merged;
      },
      continueDue: () => {
        const info = wf.workflowInfo();
        return (info.continueAsNewSuggested || info.historyLength >= limits.historyEvents) && wf.patched(CONTINUE_AS_NEW_PATCH);
      },
    };
    /** Carries the run's state (and the step's conversation, by reference) into a new run of the same workflow id. */
    const continueAsNew = async (next: number, loop?: AgentLoopState): Promise<never> => {
      const generation = (carried?.generation ?? 0) + 1;
      run.step(`continuing as new (history: ${wf.workflowInfo().historyLength} events) at step ${next + 1} of ${steps.length}`);
      await wf.condition(wf.allHandlersFinished);
      const s = run.state;
      const resume: BuildResume = {
        v: 1,
        generation,
        prep,
        plan: { title: plan.title, planRef: plan.planRef },
        steps,
        records,
        next,
        expected,
        allowCommands,
        run: { gates: s.gates.map(compactGate), usage: s.usage, ignoredDecisions: s.ignoredDecisions, ignoredTotal: s.ignoredTotal, artifacts: s.artifacts, details: { ...s.details, steps: [] } },
        ...(loop ? { loop } : {}),
      };
      const info = wf.workflowInfo();
      return wf.makeContinueAsNewFunc<typeof build>({ memo: info.memo, typedSearchAttributes: info.typedSearchAttributes })({ ...input, resume });
    };

    let progressed = false; // this run has done work (never continue before doing any)
    for (let i = carried?.next ?? 0; i < steps.length; i++) {
      const state = steps[i]!;
      if (stopped) {
        // Stopped at the budget gate: the steps after it do not run.
        state.status = 'skipped';
        records.push({ proposalRefs: [], checkPassed: null });
        continue;
      }
      // Runs recorded before the agent loop replay the one-shot path they were made with.
      const agent = wf.patched(AGENT_LOOP_PATCH) && (input.stepMode ?? 'agent') === 'agent';
      if (!agent) {
        const record = await oneShotStep(env, state);
        records.push(record);
        stopped = record.stopped;
        continue;
      }
      if (progressed && env.continueDue()) await continueAsNew(i);
      const out = await agentStep(env, state, i === carried?.next ? carried.loop : undefined);
      if ('continueWith' in out) await continueAsNew(i, out.continueWith);
      else {
        records.push(out);
        stopped = out.stopped;
      }
      progressed = true;
    }

    run.step('writing the build report');
    const reportFile = input.reportFile ?? 'BUILD_REPORT.md';
    const report = await io.writeBuildReport.executeWithOptions({ ...IO_ACTIVITY, summary: `write ${reportFile}` }, [
      {
        workflowId,
        workspace: input.workspace,
        planRef: plan.planRef,
        specPath: prep.specPath,
        checkCommand: prep.checkCommand,
        reportFile,
        force: input.force,
        steps: steps.map((s, i) => ({ n: s.n, title: s.title, status: s.status, attempts: s.attempts, checkPassed: records[i]!.checkPassed, proposalRefs: records[i]!.proposalRefs })),
      },
    ]);
    run.state.artifacts.push(...report.filesChanged.map((f) => `${input.workspace}/${f}`), report.path);
    run.state.status = 'completed';
    run.step(
      stopped
        ? `${stopped}; ${report.filesChanged.length} file(s) changed (undo: aiml revert ${workflowId}); report in ${report.path}`
        : `completed: ${report.filesChanged.length} file(s) changed; report in ${report.path}`,
    );
    return {
      reportPath: report.path,
      report: report.report,
      filesChanged: report.filesChanged,
      steps: steps.map((s) => ({ n: s.n, title: s.title, status: s.status, attempts: s.attempts, files: s.files.map((f) => f.path) })),
      checkCommand: prep.checkCommand,
      decisions: gates.decisions(),
      usage: run.state.usage,
      ...(stopped ? { stopped } : {}),
    };
  } catch (err) {
    if (err instanceof wf.ContinueAsNew) throw err; // not a failure: the next run goes on
    if (!isBudgetStop(err)) throw run.fail(err);
    // Stopped at the budget gate while planning: no plan was approved, nothing was written.
    const why = keeper.stopped(err);
    return { reportPath: null, report: '', filesChanged: [], steps: [], checkCommand: run.state.details.checkCommand ?? null, decisions: gates.decisions(), usage: run.state.usage, stopped: why };
  }

  /** A new run: check the report target, read the spec, show the policy, plan and wait at the plan gate. */
  async function prepareAndPlan() {
    if (wf.patched(OUTPUT_CHECK_PATCH)) {
      const file = input.reportFile ?? 'BUILD_REPORT.md';
      await io.checkOutputTarget.executeWithOptions({ ...IO_ACTIVITY, summary: `check ${file} can be written` }, [{ workspace: input.workspace, file, force: input.force }]);
    }
    await recordRoutes(run);
    run.step('reading the spec');
    const prep = await io.prepareBuild.executeWithOptions({ ...IO_ACTIVITY, summary: 'read spec, detect check command' }, [
      { workspace: input.workspace, specPath: input.specPath, checkCommand: input.checkCommand },
    ]);
    run.state.details.specPath = prep.specPath;
    run.state.details.checkCommand = prep.checkCommand;
    // The tool policy, shown from the start; only a person's decision widens the allow-list.
    const allowCommands = [...(prep.checkCommand ? [prep.checkCommand] : []), ...(input.policy?.allowCommands ?? [])];
    run.state.details.policy = {
      steps: input.stepMode ?? 'agent',
      reads: 'free',
      edits: approval === 'each' ? 'gated, with their diff' : `applied without a gate (--approve ${approval})`,
      allowCommands,
      otherCommands: 'gated',
      budget: { ...DEFAULT_AGENT_BUDGET, ...input.budget },
      verify: input.verify ?? 'none',
    };

    // Plan, and its gate.
    let plan: Awaited<ReturnType<typeof llm.planBuild>> | undefined;
    let feedback: string | undefined;
    for (let round = 1; ; round++) {
      await budget('planning');
      run.step(round === 1 ? 'planning the implementation' : `re-planning with feedback (round ${round})`);
      plan = await llm.planBuild.executeWithOptions({ ...LLM_ACTIVITY, summary: round === 1 ? 'plan build' : `re-plan build (round ${round})` }, [
        { workspace: input.workspace, specRef: prep.specRef, maxSteps: limits.maxSteps, feedback, previousPlanRef: plan?.planRef, model: input.model, kb: input.kb },
      ]);
      run.state.usage = addUsage(run.state.usage, plan.usage);
      noteProvider(run, plan.provider);
      run.state.details.plan = {
        title: plan.title,
        planRef: plan.planRef,
        steps: plan.steps.map((s) => s.title),
        ...(plan.context ? { contextFiles: plan.context.files, contextRanking: plan.context.ranking } : {}),
      };
      const redacted = mergeRedactionSummaries(run.state.details.redactions as RedactionSummary | undefined, plan.redactions);
      if (redacted) run.state.details.redactions = redacted;
      steps.splice(0, steps.length, ...plan.steps.map((s, i): BuildStepState => ({ n: i + 1, title: s.title, status: 'pending', attempts: 0, files: [] })));
      const decision = await gates.wait({
        gate: BUILD_PLAN_GATE,
        summary: `plan "${plan.title}": ${plan.steps.length} step(s) — ${plan.steps.map((s, i) => `${i + 1}. ${s.title}`).join('; ')}`.slice(0, 500),
        policy: approval === 'none' ? auto : manual,
        remind,
      });
      if (decision.decision === 'approve') break;
      feedback = decision.feedback;
    }
    const expected: Record<string, string | null> = { ...plan.baseline };
    return { prep, plan, expected, allowCommands };
  }
}

/** Decided gates travel with a shorter summary: the decision is what later runs need. */
function compactGate(g: GateRound): GateRound {
  return g.status === 'pending' || g.summary.length <= 200 ? g : { ...g, summary: `${g.summary.slice(0, 199)}…` };
}
