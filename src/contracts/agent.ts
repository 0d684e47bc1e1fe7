/**
 * The BUILD agent loop's contracts: the tool policy and step budget (run input), and what the
 * run's state shows of each tool call (`details.toolCalls`, for `aiml watch` and the UI).
 */

/** Which tool calls run without a person. Lives in workflow state; only a decision message changes it. */
export interface AgentPolicy {
  /**
   * Commands that run without a gate: exact commands, or simple prefix patterns ending in `*`
   * (`npm test*`). The check command is always allowed. Anything with shell metacharacters only
   * matches an exact entry.
   */
  allowCommands?: string[];
}

/** How much one step may spend before it stops at a gate asking to extend, take over or stop. */
export interface AgentBudget {
  /** Model turns per step. Default 30. */
  maxTurns?: number;
  /** Tokens per step (prompt + completion). Default 300,000. */
  maxTokens?: number;
  /** Wall time per step, in ms (gate waits excluded). Default 30 minutes. */
  maxWallMs?: number;
}

export const DEFAULT_AGENT_BUDGET: Required<AgentBudget> = { maxTurns: 30, maxTokens: 300_000, maxWallMs: 30 * 60_000 };

/** How BUILD steps are made: a tool-using agent loop (default) or one structured answer (the old path). */
export type StepMode = 'agent' | 'oneshot';

export type ToolCallStatus = 'running' | 'ok' | 'error' | 'awaiting_approval' | 'rejected' | 'interrupted';

/** One tool call as the run's state shows it. */
export interface ToolCallView {
  step: number;
  turn: number;
  id: string;
  tool: string;
  /** The call in short, e.g. `grep "EmbeddingProvider"`. */
  args: string;
  status: ToolCallStatus;
  /** The result in short, e.g. `7 hits`, `exit 1 · 4.2 s`. */
  result?: string;
  /** Characters of the result the model got back. */
  resultChars?: number;
  ms?: number;
}

/** The most recent tool calls the state keeps (older ones are in history and the conversation). */
export const TOOL_CALLS_SHOWN = 40;

/** Gate names inside a step (the step's diff gate is `build/step-N`). */
export const commandGate = (step: number): string => `build/step-${step}/command`;
export const budgetGate = (step: number): string => `build/step-${step}/budget`;

/**
 * A remembered command approval: `npm test -- --grep x` → `npm test*` (the program and its first
 * argument); a one-word command is remembered exactly.
 */
export function commandPattern(command: string): string {
  const words = command.trim().split(/\s+/);
  return words.length >= 2 ? `${words[0]} ${words[1]}*` : words[0] ?? '';
}
