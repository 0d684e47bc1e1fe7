import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { fallbackLine, isStreamBeat, type StreamBeat } from '../contracts/stream';

/**
 * Follows the text an LLM activity streams, from its heartbeats, and says what to print: each
 * character of a generation once, in order. A heartbeat seen again (every poll until the next one,
 * and on the next attempt until that one heartbeats) prints nothing; a new attempt or a new call in
 * the same activity starts on a new line with a note, and so does the text of a provider that takes
 * over when another stopped mid-call (the router's fallback); text that went by between two polls,
 * beyond the heartbeat's tail, is marked as skipped rather than shown late or twice.
 */
export class StreamFollower {
  private readonly seen = new Map<string, { attempt: number; call: number; part: number; shown: number }>();

  /** The text to print for this heartbeat of activity `activityId` (empty when nothing is new). */
  next(activityId: string, beat: StreamBeat): string {
    const last = this.seen.get(activityId);
    const part = beat.fallbacks?.length ?? 0;
    if (last && compare(beat, part, last) < 0) return ''; // an older attempt's, call's or provider's heartbeat
    let out = '';
    let shown = last?.shown ?? 0;
    const sameCall = last && beat.attempt === last.attempt && beat.call === last.call;
    if (!sameCall) {
      if (last) out += beat.attempt !== last.attempt ? `\n[attempt ${beat.attempt}: the model starts its answer again]\n` : `\n[request ${beat.call} of this step]\n`;
      shown = 0;
    }
    // A provider stopped and the next one answers: each change once, on a line of its own.
    const from = sameCall ? last.part : 0;
    if (part > from) {
      out += `${last && !out.endsWith('\n') ? '\n' : ''}${beat.fallbacks!.slice(from).map((f) => `${fallbackLine(f)}\n`).join('')}`;
      shown = 0;
    }
    const end = beat.offset + beat.tail.length;
    this.seen.set(activityId, { attempt: beat.attempt, call: beat.call, part, shown: Math.max(shown, end) });
    if (end <= shown) return out;
    if (beat.offset > shown) out += `[… ${beat.offset - shown} characters]`;
    return out + beat.tail.slice(Math.max(0, shown - beat.offset));
  }
}

/** Which of two heartbeats of one activity is later: by attempt, then call, then provider (fallbacks so far). */
function compare(beat: StreamBeat, part: number, last: { attempt: number; call: number; part: number }): number {
  return beat.attempt - last.attempt || beat.call - last.call || part - last.part;
}

/** The stream heartbeats of a run's pending activities, by activity id (describe(): no worker needed, nothing read from history). */
export async function pendingStreamBeats(client: Client, workflowId: string): Promise<{ activityId: string; beat: StreamBeat }[]> {
  const desc = await client.workflow.getHandle(workflowId).describe();
  const out: { activityId: string; beat: StreamBeat }[] = [];
  for (const a of desc.raw.pendingActivities ?? []) {
    const payloads = a.heartbeatDetails?.payloads;
    if (!payloads?.length) continue;
    const value = await decodeFromPayloadsAtIndex<unknown>(client.options.loadedDataConverter, 0, payloads).catch(() => undefined);
    if (isStreamBeat(value)) out.push({ activityId: a.activityId ?? '', beat: value });
  }
  return out;
}
