import { WorkflowNotFoundError } from '@temporalio/common';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { isAimlError } from '../errors';

/** One clear line for any failure, and the exit code that goes with it. */
export function describeError(err: unknown): { message: string; exitCode: number } {
  if (isAimlError(err)) {
    const usage = err.code === 'USAGE' || err.code === 'CONFIG_MISSING' || err.code === 'CONFIG_INVALID';
    return { message: err.message, exitCode: usage ? 2 : 1 };
  }
  if (err instanceof WorkflowNotFoundError) return { message: `No run with id "${err.workflowId}"`, exitCode: 1 };
  if (err instanceof WorkflowUpdateFailedError) {
    return { message: `Refused: ${(err.cause as Error | undefined)?.message ?? err.message}`, exitCode: 1 };
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return { message: 'No worker answered in time: is "aiml worker" running for this task queue?', exitCode: 1 };
  }
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.name === 'CommanderError') {
    return { message: `${String(e.message).replace(/^error: /, '').replace(/\s*\n\s*/g, ' ')} (see "aiml --help")`, exitCode: 2 };
  }
  const message = (e?.message ?? String(err)).split('\n')[0]!;
  if (/UNAVAILABLE|ECONNREFUSED|Failed to connect/i.test(message)) {
    return { message: `Cannot reach Temporal: ${message}. Start one with "aiml dev" or set TEMPORAL_ADDRESS.`, exitCode: 1 };
  }
  return { message, exitCode: 1 };
}
