import * as wf from '@temporalio/workflow';
import type { Parsed } from '../contracts/schema';

/**
 * A workflow input, or a non-retryable INPUT_INVALID failure that ends the run at once with the
 * parser's reason (a run started from the Temporal CLI or UI gets no further than this).
 */
export function validInput<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw wf.ApplicationFailure.nonRetryable(parsed.reason, 'INPUT_INVALID');
  return parsed.value;
}

/** Since this patch, design and build check their output file before the first gate. */
export const OUTPUT_CHECK_PATCH = 'output-target-check';
