import { DEFAULT_MAX_TOKENS, type LlmPurpose } from '../config';
import { contextWindow } from '../llm/context-window';
import type { ChatMessage } from '../llm/gateway';
import type { ActivityDeps } from './deps';

/** Characters a prompt holds per token, counted low (code tokenises denser than prose) so the estimate errs toward fitting. */
export const CHARS_PER_TOKEN = 3;
/** Room for what the structured call adds to the prompt (size limits, chat template). */
const PROMPT_OVERHEAD_CHARS = 1500;

/**
 * Characters the variable parts of a prompt (context, file lists, a long spec) have in the window of
 * the model that answers `purpose`: the window, less the answer's token budget (for the local
 * model at most half the window), less the `fixed` messages (the prompt rendered without those
 * parts). At least 0.
 */
export function promptRoomChars(deps: ActivityDeps, purpose: LlmPurpose, model: string | undefined, fixed: ChatMessage[]): number {
  const window = contextWindow(model ?? deps.llm.modelFor?.(purpose) ?? deps.llm.model, deps.llm.contextTokensFor?.(purpose));
  // A served model refuses a prompt that leaves less than max_tokens, so the whole budget is kept.
  // The local model instead fits the answer to what is left: there an answer budget as large as
  // the window (the step's 8,192 on its 8,192 tokens) keeps at most half, not all of it.
  const full = deps.llm.maxTokensFor?.(purpose) ?? DEFAULT_MAX_TOKENS[purpose];
  const answer = deps.llm.capsAnswerFor?.(purpose) ? Math.min(full, Math.floor(window / 2)) : full;
  const rest = fixed.reduce((n, m) => n + m.content.length, 0);
  return Math.max(0, (window - answer) * CHARS_PER_TOKEN - rest - PROMPT_OVERHEAD_CHARS);
}

/** The first paths that fit in `maxChars` (one a line), and a last line saying how many were left out. */
export function pathsWithin(paths: string[], maxChars: number): string[] {
  const out: string[] = [];
  let used = 0;
  for (const p of paths) {
    if (used + p.length + 1 > maxChars) {
      out.push(`… and ${paths.length - out.length} more files, not listed (room)`);
      break;
    }
    out.push(p);
    used += p.length + 1;
  }
  return out;
}
