import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { GenerateStepOutput } from '../activities/build-step';
import { buildStepGate, type BuildStepState, type BuildStepStatus } from '../contracts/build';
import { addUsage, type GateDecision } from '../contracts/run';
import { BUILD_APPLY_ACTIVITY, LLM_ACTIVITY } from './activity-options';
import { isBudgetStop } from './budget';
import { setStep, stoppedStep, type StepEnv, type StepRecord } from './step-env';
import { noteProvider } from './llm-view';
import { fixAttempt } from './metrics';

const llm = wf.proxyActivities<Activities>(LLM_ACTIVITY);
const apply = wf.proxyActivities<Activities>(BUILD_APPLY_ACTIVITY);

/**
 * One plan step the one-shot way (runs recorded before the agent loop, and `stepMode: oneshot`):
 * generate edits → gate per policy → apply → check → feed failures back, until it passes or a
 * person accepts it failing.
 */
export async function oneShotStep(env: StepEnv, state: BuildStepState): Promise<StepRecord> {
  const { gates, limits, approval, manual, remind, budget, expected, workflowId, input } = env;
  const n = state.n;
  const gate = buildStepGate(n);
  const record: StepRecord = { proposalRefs: [], checkPassed: null };
  const set = (status: BuildStepStatus, what: string): void => setStep(env, state, status, what);
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
    try {
      await budget(`step ${n}`);
    } catch (err) {
      if (isBudgetStop(err)) return stoppedStep(env, state, record, err);
      throw err;
    }
    state.attempts += 1;
    set('generating', fixes === 0 ? 'generating edits' : `generating fix attempt ${fixes}`);
    const gen: GenerateStepOutput = await llm.generateStep.executeWithOptions(
      { ...LLM_ACTIVITY, summary: `step ${n}: generate edits (attempt ${state.attempts})` },
      [
        {
          workspace: input.workspace,
          specRef: env.specRef,
          planRef: env.planRef,
          step: n,
          attempt: state.attempts,
          checkCommand: env.checkCommand,
          expected,
          feedback: stepFeedback,
          problems,
          checkOutputRef,
          model: input.model,
          kb: input.kb,
        },
      ],
    );
    env.run.state.usage = addUsage(env.run.state.usage, gen.usage);
    noteProvider(env.run, gen.provider);
    env.noteRedactions(gen.redactions);
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

    set('applying', `applying ${gen.files.length} file(s)${env.checkCommand ? `, then ${env.checkCommand}` : ''}`);
    const applied = await apply.applyStep.executeWithOptions(
      {
        ...BUILD_APPLY_ACTIVITY,
        startToCloseTimeout: limits.checkTimeoutMs + 120_000,
        summary: `step ${n}: apply ${gen.files.length} file(s)${env.checkCommand ? ' and check' : ''} (attempt ${state.attempts})`,
      },
      [
        {
          workflowId,
          workspace: input.workspace,
          proposalRef: gen.proposalRef,
          step: n,
          attempt: state.attempts,
          check: env.checkCommand ? { command: env.checkCommand, timeoutMs: limits.checkTimeoutMs } : undefined,
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
    env.noteRedactions(check?.redactions);
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
    fixAttempt('oneshot');
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
