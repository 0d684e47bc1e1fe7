import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { GenerateStepOutput } from '../activities/build-step';
import {
  BUILD_PLAN_GATE,
  buildStepGate,
  DEFAULT_BUILD_LIMITS,
  type BuildInput,
  type BuildResult,
  type BuildStepState,
  type BuildStepStatus,
} from '../contracts/build';
import type { ApprovalPolicy } from '../contracts/design';
import { addUsage, type GateDecision } from '../contracts/run';
import { mergeRedactionSummaries, type RedactionSummary } from '../contracts/security';
import { BUILD_APPLY_ACTIVITY, IO_ACTIVITY, LLM_ACTIVITY } from './activity-options';
import { GateKeeper } from './gates';
import { RunTracker } from './run-state';

const io = wf.proxyActivities<Activities>(IO_ACTIVITY);
const llm = wf.proxyActivities<Activities>(LLM_ACTIVITY);
const apply = wf.proxyActivities<Activities>(BUILD_APPLY_ACTIVITY);

/** Per step, the proposals that were applied (for the report). */
interface StepRecord {
  proposalRefs: string[];
  checkPassed: boolean | null;
}

/**
 * BUILD: spec → plan (gate `build/plan`) → for each step: generate edits (validated, diffed) →
 * gate `build/step-N` per policy → apply (hash-guarded, journaled) → check → on failure feed the
 * output back, a bounded number of times; a step that never passes, or whose files the user
 * changed, stops at its gate with the reason shown → report in the seed's BUILD format.
 */
export async function build(input: BuildInput): Promise<BuildResult> {
  const limits = { ...DEFAULT_BUILD_LIMITS, ...input.limits };
  const approval = input.approval ?? 'each';
  const steps: BuildStepState[] = [];
  const run = new RunTracker('build', { details: { workspace: input.workspace, approval, steps, designRunId: input.designRunId ?? null } });
  const gates = new GateKeeper(run);
  /** Credentials removed from step context and check output, summed in the run's details. */
  const noteRedactions = (r: RedactionSummary | undefined): void => {
    const merged = mergeRedactionSummaries(run.state.details.redactions as RedactionSummary | undefined, r);
    if (merged) run.state.details.redactions = merged;
  };
  const workflowId = wf.workflowInfo().workflowId;
  const manual: ApprovalPolicy = { ...input.gatePolicy, mode: 'manual' };
  const auto: ApprovalPolicy = { mode: 'auto' };
  const remind: Parameters<GateKeeper['wait']>[0]['remind'] = (g, waitedMs) =>
    io.sendReminder.executeWithOptions({ ...IO_ACTIVITY, summary: `remind: ${g.gate} waiting` }, [
      { workflowId, gate: g.gate, waitedMs, approveCommand: g.approveCommand, reminder: g.reminders },
    ]);
  const budget = (what: string): void => {
    if (run.state.usage.totalTokens >= limits.tokenBudget) {
      throw wf.ApplicationFailure.nonRetryable(
        `Token budget of ${limits.tokenBudget} spent (${run.state.usage.totalTokens} used) before ${what}; applied steps stay in place and can be reverted with aiml revert ${workflowId}`,
        'TOKEN_BUDGET_EXCEEDED',
      );
    }
  };

  try {
    run.step('reading the spec');
    const prep = await io.prepareBuild.executeWithOptions({ ...IO_ACTIVITY, summary: 'read spec, detect check command' }, [
      { workspace: input.workspace, specPath: input.specPath, checkCommand: input.checkCommand },
    ]);
    run.state.details.specPath = prep.specPath;
    run.state.details.checkCommand = prep.checkCommand;

    // Plan, and its gate.
    let plan: Awaited<ReturnType<typeof llm.planBuild>> | undefined;
    let feedback: string | undefined;
    for (let round = 1; ; round++) {
      budget('planning');
      run.step(round === 1 ? 'planning the implementation' : `re-planning with feedback (round ${round})`);
      plan = await llm.planBuild.executeWithOptions({ ...LLM_ACTIVITY, summary: round === 1 ? 'plan build' : `re-plan build (round ${round})` }, [
        { workspace: input.workspace, specRef: prep.specRef, maxSteps: limits.maxSteps, feedback, previousPlanRef: plan?.planRef, model: input.model, kb: input.kb },
      ]);
      run.state.usage = addUsage(run.state.usage, plan.usage);
      run.state.details.plan = { title: plan.title, planRef: plan.planRef, steps: plan.steps.map((s) => s.title) };
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
    const approvedPlan = plan!;
    const expected: Record<string, string | null> = { ...approvedPlan.baseline };
    const records: StepRecord[] = [];

    for (const state of steps) {
      records.push(await runStep(state));
    }

    run.step('writing the build report');
    const reportFile = input.reportFile ?? 'BUILD_REPORT.md';
    const report = await io.writeBuildReport.executeWithOptions({ ...IO_ACTIVITY, summary: `write ${reportFile}` }, [
      {
        workflowId,
        workspace: input.workspace,
        planRef: approvedPlan.planRef,
        specPath: prep.specPath,
        checkCommand: prep.checkCommand,
        reportFile,
        steps: steps.map((s, i) => ({ n: s.n, title: s.title, status: s.status, attempts: s.attempts, checkPassed: records[i]!.checkPassed, proposalRefs: records[i]!.proposalRefs })),
      },
    ]);
    run.state.artifacts.push(...report.filesChanged.map((f) => `${input.workspace}/${f}`), report.path);
    run.state.status = 'completed';
    run.step(`completed: ${report.filesChanged.length} file(s) changed; report in ${report.path}`);
    return {
      reportPath: report.path,
      report: report.report,
      filesChanged: report.filesChanged,
      steps: steps.map((s) => ({ n: s.n, title: s.title, status: s.status, attempts: s.attempts, files: s.files.map((f) => f.path) })),
      checkCommand: prep.checkCommand,
      decisions: gates.decisions(),
      usage: run.state.usage,
    };

    /** One plan step, until it passes (or a person accepts it failing). */
    async function runStep(state: BuildStepState): Promise<StepRecord> {
      const n = state.n;
      const gate = buildStepGate(n);
      const record: StepRecord = { proposalRefs: [], checkPassed: null };
      const set = (status: BuildStepStatus, what: string): void => {
        state.status = status;
        run.step(`step ${n}/${steps.length} "${state.title}": ${what}`);
      };
      let reviewed = approval !== 'each';
      let fixes = 0;
      let stepFeedback: string | undefined;
      let problems: string | undefined;
      let checkOutputRef: string | undefined;

      /**
       * A step that cannot go on waits for a person whatever the policy. Approve: accept the step as
       * it is (failing check, no valid edits) or, for a conflict, take the person's version as the
       * new base and regenerate; reject: regenerate with the feedback.
       */
      const stuck = async (why: string): Promise<GateDecision> => {
        state.problem = why.slice(0, 2000);
        set('stuck', `stopped: ${why.split('\n')[0]!.slice(0, 200)}`);
        const d = await gates.wait({ gate, summary: `step ${n} "${state.title}" stopped: ${why.slice(0, 400)}`, policy: manual, remind });
        fixes = 0;
        stepFeedback = d.feedback;
        reviewed = approval !== 'each'; // whatever comes next is a new diff: under `each`, it is reviewed again
        return d;
      };

      for (;;) {
        budget(`step ${n}`);
        state.attempts += 1;
        set('generating', fixes === 0 ? 'generating edits' : `generating fix attempt ${fixes}`);
        const gen: GenerateStepOutput = await llm.generateStep.executeWithOptions(
          { ...LLM_ACTIVITY, summary: `step ${n}: generate edits (attempt ${state.attempts})` },
          [
            {
              workspace: input.workspace,
              specRef: prep.specRef,
              planRef: approvedPlan.planRef,
              step: n,
              attempt: state.attempts,
              checkCommand: prep.checkCommand,
              expected,
              feedback: stepFeedback,
              problems,
              checkOutputRef,
              model: input.model,
              kb: input.kb,
            },
          ],
        );
        run.state.usage = addUsage(run.state.usage, gen.usage);
        noteRedactions(gen.redactions);
        problems = undefined;

        if (gen.kind === 'conflict') {
          const d = await stuck(`conflict: ${gen.message}`);
          for (const c of gen.conflicts) expected[c.path] = c.actualHash; // the person has seen it: their version is the new base
          if (d.decision === 'approve') stepFeedback = undefined;
          checkOutputRef = undefined;
          continue;
        }
        if (gen.kind === 'refused') {
          state.problem = gen.problems.slice(0, 2000);
          fixes += 1;
          if (fixes > limits.maxFixAttempts) {
            const d = await stuck(`edits refused after ${limits.maxFixAttempts + 1} attempt(s):\n${gen.problems}`);
            if (d.decision === 'approve') {
              set(record.proposalRefs.length ? 'accepted_failing' : 'skipped', `accepted by ${d.by} without valid edits`);
              return record;
            }
          }
          problems = gen.problems;
          continue;
        }

        state.files = gen.files;
        state.diffRef = gen.diffRef;
        state.stat = gen.stat;
        if (!reviewed) {
          set('awaiting_approval', `diff ready (${gen.files.length} file(s), +${gen.stat.added} -${gen.stat.removed})`);
          const d = await gates.wait({
            gate,
            summary: `step ${n} "${state.title}": ${gen.files.map((f) => `${f.change} ${f.path}`).join(', ')} (+${gen.stat.added} -${gen.stat.removed}); see aiml diff ${workflowId} --step ${n}`.slice(0, 500),
            policy: manual,
            remind,
          });
          if (d.decision === 'reject') {
            stepFeedback = d.feedback;
            checkOutputRef = undefined;
            fixes = 0;
            continue;
          }
          reviewed = true;
        }

        set('applying', `applying ${gen.files.length} file(s)${prep.checkCommand ? `, then ${prep.checkCommand}` : ''}`);
        const applied = await apply.applyStep.executeWithOptions(
          {
            ...BUILD_APPLY_ACTIVITY,
            startToCloseTimeout: limits.checkTimeoutMs + 120_000,
            summary: `step ${n}: apply ${gen.files.length} file(s)${prep.checkCommand ? ' and check' : ''} (attempt ${state.attempts})`,
          },
          [
            {
              workflowId,
              workspace: input.workspace,
              proposalRef: gen.proposalRef,
              step: n,
              attempt: state.attempts,
              check: prep.checkCommand ? { command: prep.checkCommand, timeoutMs: limits.checkTimeoutMs } : undefined,
            },
          ],
        );
        if (applied.kind === 'conflict') {
          const d = await stuck(`conflict: ${applied.message}; nothing was written`);
          for (const c of applied.conflicts) expected[c.path] = c.actualHash;
          if (d.decision === 'approve') stepFeedback = undefined;
          continue;
        }
        record.proposalRefs.push(gen.proposalRef);
        Object.assign(expected, applied.afterHashes);
        state.appliedDiffRef = applied.appliedDiffRef;
        state.stat = applied.stat;

        const check = applied.check;
        noteRedactions(check?.redactions);
        if (!check) {
          set('passed', 'applied (no check command)');
          return record;
        }
        state.check = { passed: check.passed, exitCode: check.exitCode, timedOut: check.timedOut, excerpt: check.excerpt, outputRef: check.outputRef };
        record.checkPassed = check.passed;
        if (check.passed) {
          state.problem = undefined;
          set('passed', 'check passed');
          return record;
        }
        fixes += 1;
        checkOutputRef = check.outputRef;
        if (fixes > limits.maxFixAttempts) {
          const d = await stuck(`check failed after ${limits.maxFixAttempts + 1} attempt(s) (exit ${check.exitCode ?? 'killed'}${check.timedOut ? ', timed out' : ''}):\n${check.excerpt}`);
          if (d.decision === 'approve') {
            set('accepted_failing', `accepted by ${d.by} with a failing check`);
            return record;
          }
        }
      }
    }
  } catch (err) {
    throw run.fail(err);
  }
}
