import type { Command } from 'commander';
import type { WorkflowInputs, WorkflowType } from '../client/aiml-client';
import { parseBuildInput, parseDesignInput, parseIngestInput, parseShipInput, type Parsed } from '../contracts';
import { AimlError } from '../errors';
import { forTerminal } from './terminal';

/** Checks done at the CLI's edge, before anything is started: the workflows' own rules, said at once. */

const PARSERS: { [T in WorkflowType]: (raw: unknown) => Parsed<WorkflowInputs[T]> } = {
  design: parseDesignInput,
  build: parseBuildInput,
  ship: parseShipInput,
  ingest: parseIngestInput,
};

/** The input as the workflow will read it (limits, types, paths), or a usage error naming what is wrong. */
export function checkedInput<T extends WorkflowType>(type: T, input: WorkflowInputs[T]): WorkflowInputs[T] {
  const parsed = PARSERS[type](input);
  if (!parsed.ok) throw new AimlError('USAGE', `Refused before starting: ${parsed.reason}`);
  return parsed.value;
}

/** Text a person typed (a brief, feedback, a comment), with control characters and escape sequences removed. */
export function cleanText(text: string): string {
  return forTerminal(text);
}

/** Options whose empty value means something ("--check ''": no check). */
const EMPTY_ALLOWED = new Set(['check']);

/**
 * Refuses an option given as an empty string (`--workspace ""` would silently mean the current
 * folder), naming it. Runs before every command's action.
 */
export function refuseEmptyOptions(command: Command): void {
  for (const option of command.options) {
    const key = option.attributeName();
    const value: unknown = command.getOptionValue(key);
    if (typeof value === 'string' && !value.trim() && !EMPTY_ALLOWED.has(key)) {
      throw new AimlError('USAGE', `${option.long ?? option.flags} must not be empty`);
    }
  }
}
