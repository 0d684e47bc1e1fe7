import type { AgentBudget, StepMode, ToolCallView } from './agent';
import type { BuildApproval, BuildStepState, ChildStatePayload } from './build';
import type { BudgetView } from './budget';
import type { Usage } from './run';
import type { LlmRunView } from './llm';
import type { RedactionSummary } from './security';

/** How a design's or plan's workspace files were chosen: by meaning (the worker's local models, through the code index) or by words over file starts. */
export type ContextRanking = 'meaning' | 'words';

/** `details` of a design run's state. */
export interface DesignDetails {
  /** The drafting round (1 for the first draft, +1 per rejection). */
  round: number;
  /** The brief, cut to 200 characters. */
  brief: string;
  /** Workspace files the first round gathered as context. */
  contextFiles?: string[];
  contextRanking?: ContextRanking;
  kbHits?: number;
  /** Title of the latest draft. */
  title?: string;
  /** What the gate asks a person to approve, in a few lines. */
  digest?: string;
  /** Credentials removed from what the run read (rules and places, never values). */
  redactions?: RedactionSummary;
  /** The host that holds the workspace, for a run routed to host queues. */
  host?: string;
  /** The spending limit, when the run has one, and its top-ups. */
  budget?: BudgetView;
  /** Which provider serves each role; which answered, and every switch. */
  llm?: LlmRunView;
}

/** `details` of a build run's state. */
export interface BuildDetails {
  workspace: string;
  approval: BuildApproval;
  steps: BuildStepState[];
  designRunId: string | null;
  specPath?: string;
  /** The check command in use; null: none. */
  checkCommand?: string | null;
  /** The approved (or proposed) plan; the workspace files it was drafted from, and how they were chosen. */
  plan?: { title: string; planRef: string; steps: string[]; contextFiles?: string[]; contextRanking?: ContextRanking };
  /** The agent's tool policy, shown from the start; `allowCommands` grows only by a person's decision. */
  policy?: {
    steps: StepMode;
    reads: string;
    edits: string;
    allowCommands: string[];
    otherCommands: string;
    budget: Required<AgentBudget>;
    verify: 'shadow' | 'none';
  };
  /** The latest agent tool calls (TOOL_CALLS_SHOWN at most), for `aiml watch` and the UI. */
  toolCalls?: ToolCallView[];
  /** Credentials removed from what the run read (rules and places, never values). */
  redactions?: RedactionSummary;
  /** The host that holds the workspace, for a run routed to host queues. */
  host?: string;
  /** The spending limit, when the run has one, and its top-ups. */
  budget?: BudgetView;
  /** Which provider serves each role; which answered, and every switch. */
  llm?: LlmRunView;
}

/** `details` of a ship run's state. */
export interface ShipDetails {
  /** Child workflow ids by phase. */
  children: Record<string, string>;
  /** The latest state each child reported, by phase. */
  childStates: Record<string, ChildStatePayload>;
  brief: string;
  /** The host that holds the workspace, for a run routed to host queues. */
  host?: string;
  /** Tokens and cost of each finished child, by phase. */
  byPhase?: Record<string, Usage>;
}

export interface RunDetailsByPhase {
  design: DesignDetails;
  build: BuildDetails;
  ship: ShipDetails;
  ingest: Record<string, never>;
}

/** `details` when the phase is not known statically (the CLI reading any run): every field optional. */
export type AnyRunDetails = Partial<DesignDetails> & Partial<BuildDetails> & Partial<ShipDetails>;
