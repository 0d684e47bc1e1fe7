import type { RedactionSummary } from './security';
import type { RunRouting } from './routing';
import { defineSignal } from '@temporalio/workflow';
import type { AgentBudget, AgentPolicy, StepMode } from './agent';
import type { ApprovalPolicy } from './design';
import type { RunBudget } from './budget';
import type { GateDecision, GateRound, IgnoredDecision, RunStatus, Usage } from './run';

/** Which build gates wait for a person: every step's diff, only the plan, or none. */
export type BuildApproval = 'each' | 'plan' | 'none';
export const BUILD_APPROVALS: readonly BuildApproval[] = ['each', 'plan', 'none'];

export interface BuildLimits {
  /** Most steps a plan may have. Default 12. */
  maxSteps?: number;
  /** Fix attempts per step after its first try (failed check or refused edits). Default 2. */
  maxFixAttempts?: number;
  /** Total tokens the run may spend; the run stops before an LLM call past it. Default 2,000,000. */
  tokenBudget?: number;
  /** Check command timeout. Default 10 minutes. */
  checkTimeoutMs?: number;
  /**
   * History events after which the run continues as new at its next safe point (between agent
   * turns or steps), carrying its state and the conversation by reference. Default 10,000; the
   * server's own suggestion (`continueAsNewSuggested`) is followed too.
   */
  historyEvents?: number;
}

export const DEFAULT_BUILD_LIMITS: Required<BuildLimits> = { maxSteps: 12, maxFixAttempts: 2, tokenBudget: 2_000_000, checkTimeoutMs: 600_000, historyEvents: 10_000 };

export interface BuildInput {
  /** The spec: absolute, or relative to the workspace (e.g. SPECS.md). */
  specPath: string;
  /** The design run the spec came from, when there is one (for the record). */
  designRunId?: string;
  /** Absolute path of the workspace (usually a git repository). */
  workspace: string;
  /** Default `each`. */
  approval?: BuildApproval;
  /** Timeouts and reminders for gates that wait for a person. */
  gatePolicy?: Omit<ApprovalPolicy, 'mode'>;
  /** The check command; undefined: detected from the workspace; empty string: none. */
  checkCommand?: string;
  limits?: BuildLimits;
  model?: string;
  /** Knowledge base to retrieve context from, as well as the workspace. */
  kb?: string;
  /** Report file inside the workspace. Default BUILD_REPORT.md. */
  reportFile?: string;
  /** Default `agent`: each step is a tool-using loop. `oneshot`: one structured answer per attempt. */
  stepMode?: StepMode;
  /** Which commands the agent runs without a gate (edits follow `approval`). */
  policy?: AgentPolicy;
  /** Per-step budget of the agent loop. */
  budget?: AgentBudget;
  /** `shadow`: a step's edits go to a throwaway copy first; only a step whose check passes reaches the workspace. */
  verify?: 'shadow';
  /** Overwrite the report file even when it was not written by aiml or was changed since (CLI: --force). */
  force?: boolean;
  /** Host and queues of a run served by several workers (set by the CLI); absent: one queue for everything. */
  routing?: RunRouting;
  /** Spending limit for the run; its tokens default to `limits.tokenBudget`. Reached, the run parks at the `budget` gate. */
  runBudget?: RunBudget;
  /**
   * Set only by the run itself when it continues as new: where it was. A run started with it from
   * outside (a client cannot make a continued run) fails at once as INPUT_INVALID.
   */
  resume?: BuildResume;
}

/** Per step, the proposals that were applied (for the report). */
export interface StepRecord {
  proposalRefs: string[];
  checkPassed: boolean | null;
  /** Set when a person stopped the run at the budget gate during this step: no further steps run. */
  stopped?: string;
}

/** A tool result going back to the model: by blob reference, or inline when short. */
export interface CarriedToolResult {
  toolCallId: string;
  ref?: string;
  text?: string;
}

/** Where an agent step's loop was when the run continued as new. */
export interface AgentLoopState {
  conversationRef?: string;
  /** Tool results and notes not yet given to the model. */
  results: CarriedToolResult[];
  notes: string[];
  turn: number;
  /** A turn of this step answered in words only: every later turn must call a tool. */
  requireTool?: boolean;
  /** The step's budget spent so far (wall time as elapsed ms: clocks differ across runs). */
  used: { turns: number; tokens: number; elapsedMs: number };
  fixes: number;
  seq: number;
  record: StepRecord;
  /** `--verify shadow`: the shadow copy the step works in, and what it changed there. */
  shadowDir?: string;
  shadowPaths: string[];
  shadowExpected: Record<string, string | null>;
}

/** What a BUILD run carries into its next run when it continues as new. */
export interface BuildResume {
  v: 1;
  /** How many times the run has continued as new, this time included. */
  generation: number;
  prep: { specRef: string; specPath: string; checkCommand: string | null };
  plan: { title: string; planRef: string };
  steps: BuildStepState[];
  /** Records of the steps before `next`. */
  records: StepRecord[];
  /** Index (0-based) of the step to run next. */
  next: number;
  expected: Record<string, string | null>;
  allowCommands: string[];
  run: { gates: GateRound[]; usage: Usage; ignoredDecisions: IgnoredDecision[]; ignoredTotal: number; artifacts: string[]; details: Record<string, unknown> };
  /** The agent loop of step `next`, when the run continued in the middle of it. */
  loop?: AgentLoopState;
}

export type BuildStepStatus =
  | 'pending'
  | 'generating'
  | 'awaiting_approval'
  | 'applying'
  | 'passed'
  | 'accepted_failing'
  | 'skipped'
  | 'stopped'
  | 'stuck';

export interface StepCheck {
  passed: boolean;
  exitCode: number | null;
  timedOut: boolean;
  /** Head and tail of the output (short). */
  excerpt: string;
  outputRef: string;
  /** Credentials removed from the output (rules and places, never values). */
  redactions?: RedactionSummary;
}

/** One plan step as the run's state shows it (in `details.steps`). */
export interface BuildStepState {
  n: number;
  title: string;
  status: BuildStepStatus;
  attempts: number;
  /** Files of the latest proposal, with change kind. */
  files: { path: string; change: 'created' | 'modified' | 'deleted' }[];
  /** Diff of the latest proposal (pending or applied last), as a blob ref. */
  diffRef?: string;
  /** Diff of everything this step applied, from before its first attempt to now. */
  appliedDiffRef?: string;
  stat?: { added: number; removed: number };
  check?: StepCheck;
  /** The last reason this step could not go on: refused edits, a conflict, a failed check. */
  problem?: string;
}

export interface BuildResult {
  /** Null when the run was stopped at its budget gate before a plan was approved. */
  reportPath: string | null;
  /** The report text (the seed's BUILD return format). */
  report: string;
  filesChanged: string[];
  steps: { n: number; title: string; status: BuildStepStatus; attempts: number; files: string[] }[];
  checkCommand: string | null;
  decisions: GateDecision[];
  usage: Usage;
  /** Why the run ended early: stopped by a person at the budget gate. */
  stopped?: string;
}

export const BUILD_PLAN_GATE = 'build/plan';
export const buildStepGate = (n: number): string => `build/step-${n}`;
export const buildWorkflowId = (suffix: string): string => `build-${suffix}`;

/** SHIP: design then build, as child workflows of one run. */
export interface ShipInput {
  brief: string;
  workspace: string;
  /** Policy of the design gate. */
  designApproval?: ApprovalPolicy;
  /** Build gates. Default `each`. */
  buildApproval?: BuildApproval;
  gatePolicy?: Omit<ApprovalPolicy, 'mode'>;
  checkCommand?: string;
  limits?: BuildLimits;
  model?: string;
  kb?: string;
  policy?: AgentPolicy;
  budget?: AgentBudget;
  verify?: 'shadow';
  /** Overwrite SPECS.md and the build report even when the user changed them (CLI: --force). */
  force?: boolean;
  /** Host and queues (set by the CLI); passed on to both children. */
  routing?: RunRouting;
  /** Spending limit for both phases: build gets what design left (top-ups included). */
  runBudget?: RunBudget;
}

export interface ShipResult {
  designRunId: string;
  /** Null when the design was stopped at its budget gate (no build ran). */
  buildRunId: string | null;
  specPath: string | null;
  build: BuildResult | null;
  usage: Usage;
  /** Why the run ended early: stopped by a person at a budget gate. */
  stopped?: string;
}

export const shipWorkflowId = (suffix: string): string => `ship-${suffix}`;

/** A child's state change, sent to its parent so the parent's state can route approvals. */
export interface ChildStatePayload {
  workflowId: string;
  phase: string;
  status: RunStatus;
  step: string;
  pendingGate: string | null;
  totalTokens: number;
}

export const childStateSignal = defineSignal<[ChildStatePayload]>('childState');
