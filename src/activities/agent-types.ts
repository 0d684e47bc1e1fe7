import type { ProviderUse } from '../contracts/llm';
import type { RedactionSummary } from '../contracts/security';
import type { StepCheck } from '../contracts/build';
import type { Usage } from '../contracts/run';

/**
 * Inputs and outputs of the BUILD agent activities. Everything large (the conversation, a call's
 * arguments, a tool's output, file contents, diffs) travels as a blob reference.
 */

export type CallKind = 'read' | 'edit' | 'command' | 'finish' | 'invalid';

/** A tool call the model asked for, validated by the turn activity. */
export interface AgentCall {
  /** The model's id for the call (tool results answer it). */
  id: string;
  /** Unique in the run (`s<step>t<turn>c<index>`): names the call's command markers. */
  key: string;
  name: string;
  kind: CallKind;
  /** The call in short, for the UI (`grep "X"`, `run_command npm test`). */
  summary: string;
  /** The raw argument JSON, by reference. */
  argsRef: string;
  /** Why the call is invalid (unknown tool, arguments that fail the schema): the model gets it back. */
  error?: string;
  /** run_command: the command line, and whether the run's allow-list covers it. */
  command?: string;
  allowListed?: boolean;
  /** finish_step: what the step reports (a proposal with no files, for the BUILD report), by reference. */
  finishRef?: string;
}

/** A tool's answer to one call, appended to the conversation by the next turn. */
export interface ToolResult {
  toolCallId: string;
  /** The text the model gets (already delimited and labelled as data), by reference... */
  ref?: string;
  /** ...or, when short, inline. */
  text?: string;
}

export interface AgentTurnInput {
  /** The conversation so far; absent for a step's first turn, which starts it from `start`. */
  conversationRef?: string;
  /** `leads`: where the step's code probably is (`agentLeads`), for the first message. */
  start?: { specRef: string; planRef: string; step: number; checkCommand: string | null; policy: string; leads?: string };
  step: number;
  turn: number;
  /** Results of the previous turn's calls, in call order. */
  results: ToolResult[];
  /** Messages from the loop or a person (feedback, check output), appended as user messages. */
  notes: string[];
  allowCommands: string[];
  model?: string;
  kb?: boolean;
  /** The answer must be a tool call (tool_choice "required"): an earlier turn of the step answered in words only. */
  requireTool?: boolean;
}

export interface AgentTurnOutput {
  conversationRef: string;
  /** The assistant's text, short. */
  content: string;
  calls: AgentCall[];
  usage: Usage;
  /** Tool results the fitting shortened for this turn (oldest first). */
  shortened: number;
  /** Which provider answered, and why those before it were skipped. */
  provider?: ProviderUse;
}

export interface AgentLeadsInput {
  /** The folder the step works in (the workspace, or its shadow copy). */
  workspace: string;
  planRef: string;
  /** The spec the first message holds already: places copied from it (SPECS.md) are no leads. */
  specRef: string;
  step: number;
}

export interface AgentLeadsOutput {
  /** One line a place (`- path:12-40 (symbol)`), best first; absent when there are none to give. */
  leads?: string;
  /** What was found, or why nothing was, for the UI. */
  summary: string;
}

export interface AgentToolInput {
  workspace: string;
  call: { id: string; name: string; argsRef: string };
  kb?: string;
}

export interface AgentToolOutput {
  ok: boolean;
  result: ToolResult;
  /** The result in short for the UI: `7 hits`, `exit 1 · 4.2 s`. */
  summary: string;
  chars: number;
  /** Credentials removed from the output: counts and places, never values. */
  redactions?: RedactionSummary;
}

export interface AgentEditInput {
  workflowId: string;
  workspace: string;
  step: number;
  /** Order of this edit within the step (journal order, for revert). */
  seq: number;
  call: { id: string; name: string; argsRef: string };
  /** Hashes aiml expects files to have; a different hash is a conflict. */
  expected: Record<string, string | null>;
  /** Apply at once (no gate), or only prepare the proposal for a gate. */
  apply: boolean;
}

export type AgentEditOutput =
  | {
      kind: 'applied' | 'proposed';
      result: ToolResult;
      summary: string;
      proposalRef: string;
      diffRef: string;
      files: { path: string; change: 'created' | 'modified' | 'deleted' }[];
      stat: { added: number; removed: number };
      afterHashes: Record<string, string | null>;
      appliedDiffRef?: string;
    }
  | { kind: 'refused'; result: ToolResult; summary: string }
  | { kind: 'conflict'; result: ToolResult; summary: string; actualHashes: Record<string, string | null> };

export interface AgentApplyInput {
  workflowId: string;
  workspace: string;
  step: number;
  seq: number;
  /** The call the result answers. */
  callId: string;
  proposalRef: string;
}

export type AgentApplyOutput =
  | { kind: 'applied'; result: ToolResult; summary: string; afterHashes: Record<string, string | null>; appliedDiffRef: string; stat: { added: number; removed: number } }
  | { kind: 'conflict'; result: ToolResult; summary: string; actualHashes: Record<string, string | null> };

export interface AgentCommandInput {
  workflowId: string;
  workspace: string;
  step: number;
  call: { id: string; key: string; name: string; argsRef: string };
  timeoutMs: number;
}

export interface AgentCheckInput {
  workspace: string;
  command: string;
  timeoutMs: number;
}
export interface AgentCheckOutput {
  check: StepCheck;
  /** The check output for the model, delimited as data. */
  result: ToolResult;
  /** Credentials removed from the check output. */
  redactions?: RedactionSummary;
}

export interface ShadowInput {
  workflowId: string;
  workspace: string;
  step: number;
}

export interface PromoteInput {
  workflowId: string;
  workspace: string;
  shadowDir: string;
  step: number;
  seq: number;
  paths: string[];
  expected: Record<string, string | null>;
}
