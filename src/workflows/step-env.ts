import type { BuildApproval, BuildInput, BuildLimits, BuildStepState, BuildStepStatus, StepRecord } from '../contracts/build';
import type { ApprovalPolicy } from '../contracts/design';
import type { RedactionSummary } from '../contracts/security';
import type { BudgetStopped } from './budget';
import type { GateKeeper, GateWaitOptions } from './gates';
import type { RunTracker } from './run-state';
import type { Routes } from './routing';

export type { StepRecord };

/** What a step's state machine (agent loop or the one-shot path) gets from the build run. */
export interface StepEnv {
  run: RunTracker<'build'>;
  gates: GateKeeper<'build'>;
  input: BuildInput;
  workflowId: string;
  specRef: string;
  planRef: string;
  checkCommand: string | null;
  limits: Required<BuildLimits>;
  approval: BuildApproval;
  /** Gate policy for gates that always wait for a person. */
  manual: ApprovalPolicy;
  remind: GateWaitOptions['remind'];
  /** Before each LLM call: the run's budget (budget.ts); parks at the budget gate when spent, throws BudgetStopped when stopped there. */
  budget: (what: string) => Promise<void>;
  /** Hashes aiml expects files to have (plan time, or after its own edits). */
  expected: Record<string, string | null>;
  totalSteps: number;
  /** Commands allowed without a gate; grows only by a person's decision. */
  allowCommands: string[];
  /** Sends an activity to the shared queue when the run is routed (model calls); else unchanged. */
  shared: Routes['shared'];
  /** Adds an activity's redaction summary to the run's (details.redactions). */
  noteRedactions: (r: RedactionSummary | undefined) => void;
  /** True at a safe point when the history is long enough that the run should continue as new. */
  continueDue: () => boolean;
}

/** A step's record when the run was stopped at the budget gate during it (applied edits stay, and are reported). */
export function stoppedStep(env: StepEnv, state: BuildStepState, record: StepRecord, err: BudgetStopped): StepRecord {
  setStep(env, state, record.proposalRefs.length ? 'stopped' : 'skipped', err.message);
  return { ...record, stopped: err.message };
}

/** Sets a step's status and the run's step line. */
export function setStep(env: StepEnv, state: BuildStepState, status: BuildStepStatus, what: string): void {
  state.status = status;
  env.run.step(`step ${state.n}/${env.totalSteps} "${state.title}": ${what}`);
}
