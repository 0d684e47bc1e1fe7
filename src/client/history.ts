import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

/** Reading a run's event history: what the run has not processed yet, and why it failed. */

type Event = temporal.api.history.v1.IHistoryEvent;
type Failure = temporal.api.failure.v1.IFailure;
const T = temporal.api.enums.v1.EventType;

export async function fetchEvents(client: Client, workflowId: string): Promise<Event[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

export interface SignalEvent {
  eventId: number;
  name: string;
  at: string;
  payload: unknown;
}

/** Signals written after the last completed workflow task: delivered, durable, not yet seen by the workflow. */
export function unprocessedSignals(events: Event[]): SignalEvent[] {
  let lastCompleted = -1;
  events.forEach((e, i) => {
    if (e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) lastCompleted = i;
  });
  return events.slice(lastCompleted + 1).flatMap((e) => (e.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED ? [toSignal(e)] : []));
}

/** Whether a workflow task completed after the event `eventId` (so the workflow has seen it). */
export function processedAfter(events: Event[], eventId: number): boolean {
  return events.some((e) => Number(e.eventId) > eventId && e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
}

export function signalsAfter(events: Event[], eventId: number): SignalEvent[] {
  return events.filter((e) => Number(e.eventId) > eventId && e.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).map(toSignal);
}

export function lastEventId(events: Event[]): number {
  return events.length ? Number(events[events.length - 1]!.eventId) : 0;
}

function toSignal(e: Event): SignalEvent {
  const a = e.workflowExecutionSignaledEventAttributes!;
  let payload: unknown;
  try {
    const first = a.input?.payloads?.[0];
    payload = first ? defaultPayloadConverter.fromPayload(first) : undefined;
  } catch {
    payload = undefined; // not JSON: no decision can come of it
  }
  return { eventId: Number(e.eventId), name: a.signalName ?? '', at: new Date(optionalTsToMs(e.eventTime) ?? 0).toISOString(), payload };
}

/** The innermost failure of a chain, with the activity it came from (if any) on the way. */
export function rootCause(failure: Failure | null | undefined): { message: string; type?: string; activity?: string } | undefined {
  let activity: string | undefined;
  let f = failure;
  while (f) {
    const name = f.activityFailureInfo?.activityType?.name;
    if (name) activity = name;
    if (!f.cause) break;
    f = f.cause;
  }
  if (!f) return undefined;
  return { message: f.message ?? 'unknown failure', type: f.applicationFailureInfo?.type ?? undefined, activity };
}

/** Why a closed run failed: the root of the failure chain on its closing event. */
export function closingFailure(events: Event[]): ReturnType<typeof rootCause> {
  const last = events[events.length - 1];
  const failed = last?.workflowExecutionFailedEventAttributes?.failure;
  if (failed) return rootCause(failed);
  if (last?.workflowExecutionTerminatedEventAttributes) {
    return { message: `terminated${last.workflowExecutionTerminatedEventAttributes.reason ? `: ${last.workflowExecutionTerminatedEventAttributes.reason}` : ''}` };
  }
  if (last?.workflowExecutionTimedOutEventAttributes) return { message: 'timed out (workflow execution timeout)' };
  return undefined;
}

/** The most recent workflow task failure, if the run had one. */
export function lastWorkflowTaskFailure(events: Event[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const a = events[i]!.workflowTaskFailedEventAttributes;
    if (a) return rootCause(a.failure)?.message ?? 'workflow task failed';
  }
  return undefined;
}
