import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { approveSignal, stateQuery, type DesignResult } from '../../src/contracts';
import { waitFor } from '../support/env';
import type { ChatRequestBody, Reply, ScriptedLlm } from '../support/scripted-llm';

/** Helpers shared by the fault tests. */

type Event = temporal.api.history.v1.IHistoryEvent;

export interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Waits for the design gate (up to `timeoutMs`), approves it and returns the result. */
export async function approveAtGate(handle: WorkflowHandle, timeoutMs = 90_000): Promise<DesignResult> {
  await waitFor(async () => ((await handle.query(stateQuery)).status === 'awaiting_approval' ? true : undefined), `${handle.workflowId} at the design gate`, timeoutMs);
  await handle.signal(approveSignal, { by: 'fault-suite' });
  return (await handle.result()) as DesignResult;
}

/** The text of a chat request's messages, joined. */
export const promptOf = (req: ChatRequestBody): string => req.messages.map((m) => m.content ?? '').join('\n');

/**
 * Scripts the LLM per run: a request goes to the first tag its prompt contains (put the tag in the
 * brief), and takes that tag's next reply; the last reply repeats. Requests without a known tag
 * get a 500. Returns the requests each tag got.
 */
export function scriptByTag(llm: ScriptedLlm, scripts: Record<string, Reply[]>): Record<string, ChatRequestBody[]> {
  const seen: Record<string, ChatRequestBody[]> = Object.fromEntries(Object.keys(scripts).map((t) => [t, []]));
  llm.setFallback((req) => {
    const prompt = promptOf(req);
    const tag = Object.keys(scripts).find((t) => prompt.includes(t));
    if (!tag) return { status: 500, error: 'scripted LLM: no script for this prompt' };
    const replies = scripts[tag]!;
    const n = seen[tag]!.push(req);
    return replies[Math.min(n, replies.length) - 1]!;
  });
  return seen;
}

/** What happened to each attempt of one activity type in a run's history. */
export interface ActivityAttempts {
  scheduled: number;
  /** Attempt numbers as started (the last start of each attempt the server recorded). */
  started: number[];
  completed: number;
  /** The failure each retried attempt followed (from the started event's last failure). */
  lastFailures: temporal.api.failure.v1.IFailure[];
}

export function activityAttempts(events: Event[], type: string): ActivityAttempts {
  const ids = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type).map((e) => String(e.eventId)),
  );
  const started = events.filter((e) => ids.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? '')));
  return {
    scheduled: ids.size,
    started: started.map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1),
    completed: events.filter((e) => ids.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? ''))).length,
    lastFailures: started.flatMap((e) => (e.activityTaskStartedEventAttributes!.lastFailure ? [e.activityTaskStartedEventAttributes!.lastFailure] : [])),
  };
}

/** `types`, after checking that none occurs twice (nothing applied twice). */
export function onceEach(types: string[]): string[] {
  const twice = types.filter((t, i) => types.indexOf(t) !== i);
  if (twice.length) throw new Error(`recorded more than once: ${twice.join(', ')} (all: ${types.join(', ')})`);
  return types;
}

/** The local activities a run recorded, by type, in order. */
export function localActivities(events: Event[]): string[] {
  return events
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => JSON.parse(Buffer.from(e.markerRecordedEventAttributes!.details!.data!.payloads![0]!.data!).toString()).activity_type as string);
}

