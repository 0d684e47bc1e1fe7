import type { CodeHit } from './tools/code-index';
import type { BuildPlan } from '../builder/schemas';

/**
 * Where a step's code probably is, before the agent looks: the places search_code ranks first for
 * the step (its title, description and the planned files' purposes), one line each, so its first
 * turn can read them instead of searching. A hint in the first message, never a limit.
 */

/** Places listed. */
export const LEAD_COUNT = 8;
/** A lead's line at most (a long path or symbol is cut). */
const LEAD_LINE_CHARS = 200;

/** What search_code is asked for a step. */
export function stepQuery(step: BuildPlan['steps'][number]): string {
  return [step.title, step.description, ...step.files.map((f) => `${f.path}: ${f.purpose}`)].join('\n');
}

/** `- path:start-end (symbol)`, one line a place, best first. */
export function renderLeads(hits: CodeHit[]): string {
  return hits
    .slice(0, LEAD_COUNT)
    .map(({ chunk }) => `- ${chunk.path}:${chunk.startLine}-${chunk.endLine}${chunk.symbol ? ` (${chunk.symbol})` : ''}`.slice(0, LEAD_LINE_CHARS))
    .join('\n');
}
