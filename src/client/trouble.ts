import type { WorkflowExecutionDescription } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { rootCause } from './history';

/**
 * What is going wrong with a run right now, in one line a person can act on: an activity being
 * retried (which one, attempt n of m, when the next try is, and the cause), or a workflow task
 * that keeps failing. Built from describe() alone.
 */
export interface Trouble {
  kind: 'activity_retrying' | 'workflow_task_failing' | 'run_failed';
  /** One line: where, how often, when next, why. */
  line: string;
  activity?: string;
  attempt?: number;
  maxAttempts?: number;
  nextRetryAt?: string;
  cause?: string;
}

const clock = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export function activityTrouble(desc: WorkflowExecutionDescription, step: string): Trouble | undefined {
  const retrying = (desc.raw.pendingActivities ?? []).filter((a) => (a.attempt ?? 1) > 1 || a.lastFailure);
  const a = retrying[0];
  if (!a) return undefined;
  const activity = a.activityType?.name ?? 'activity';
  const attempt = a.attempt ?? 1;
  const max = a.maximumAttempts ?? 0;
  const next = optionalTsToMs(a.nextAttemptScheduleTime);
  const cause = rootCause(a.lastFailure)?.message;
  const of = max > 0 ? ` of ${max}` : ' (no attempt limit)';
  const line =
    `${step}: ${activity} attempt ${attempt}${of}` +
    (next ? `, next retry at ${clock(next)}` : ', running now') +
    (cause ? `; last failure: ${oneLine(cause)}` : '');
  return { kind: 'activity_retrying', line, activity, attempt, maxAttempts: max || undefined, nextRetryAt: next ? new Date(next).toISOString() : undefined, cause };
}

/** A workflow task on its second attempt or later is a stuck run, whatever its status says. */
export function workflowTaskAttempt(desc: WorkflowExecutionDescription): number {
  return desc.raw.pendingWorkflowTask?.attempt ?? 0;
}

export function workflowTaskTrouble(attempt: number, cause: string | undefined): Trouble {
  const why = cause ? oneLine(cause) : 'see the run\'s history';
  return {
    kind: 'workflow_task_failing',
    line: `stuck: the workflow task fails on every try (attempt ${attempt}): ${why}; the run cannot move until its code or input is fixed`,
    attempt,
    cause,
  };
}

export function failedTrouble(cause: { message: string; type?: string; activity?: string }): Trouble {
  const where = cause.activity ? `${cause.activity} failed: ` : '';
  return { kind: 'run_failed', line: `${where}${oneLine(cause.message)}`, activity: cause.activity, cause: cause.message };
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
