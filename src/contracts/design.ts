import type { RunRouting } from './routing';
import type { ArchitectureDraft } from '../design/architecture';
import type { RunBudget } from './budget';
import type { GateDecision, Usage } from './run';

export type { ArchitectureDraft };

/** How a gate waits. Durations in milliseconds. */
export interface ApprovalPolicy {
  /** `auto` approves every gate at once (recorded as a policy decision). Default `manual`. */
  mode?: 'manual' | 'auto';
  /** Give up waiting after this long. Default: wait forever. */
  timeoutMs?: number;
  /** Send a reminder this often while waiting. Default: none. */
  reminderIntervalMs?: number;
  /** What a timeout means. Default `fail`. */
  onTimeout?: 'fail' | 'approve';
}

export interface DesignInput {
  brief: string;
  /** Absolute path of the target workspace; SPECS.md is written there. */
  workspace: string;
  /** Knowledge base to retrieve context from. */
  kb?: string;
  approval?: ApprovalPolicy;
  /** Revisions allowed after rejections before the run fails. Default 5. */
  maxRevisions?: number;
  /** Overrides the worker's AIML_MODEL for this run. */
  model?: string;
  /** File name of the spec inside the workspace. Default SPECS.md. */
  specFile?: string;
  /** Overwrite the spec file even when it was not written by aiml or was changed since (CLI: --force). */
  force?: boolean;
  /** Host and queues of a run served by several workers (set by the CLI); absent: one queue for everything. */
  routing?: RunRouting;
  /** Spending limit: reached, the run parks at the `budget` gate (CLI: --budget, --budget-tokens). */
  runBudget?: RunBudget;
}

export interface DesignResult {
  /** Null when the run was stopped at its budget gate before a draft was approved. */
  specPath: string | null;
  draft: ArchitectureDraft;
  rounds: number;
  decisions: GateDecision[];
  usage: Usage;
  /** The budget's limit at the end (after top-ups), when the run had one. */
  budget?: RunBudget;
  /** Why the run ended early: stopped by a person at the budget gate. */
  stopped?: string;
}

export const DESIGN_GATE = 'design/spec';
export const designWorkflowId = (suffix: string): string => `design-${suffix}`;
