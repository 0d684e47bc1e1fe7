import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { isStreamBeat, type StreamBeat } from '../contracts/stream';

/**
 * Follows the text an LLM activity streams, from its heartbeats, and says what to print: each
 * character of a generation once, in order. A heartbeat seen again (every poll until the next one,
 * and on the next attempt until that one heartbeats) prints nothing; a new attempt or a new call in
 * the same activity starts on a new line with a note; text that went by between two polls, beyond
 * the heartbeat's tail, is marked as skipped rather than shown late or twice.
 */
export class StreamFollower {
  private readonly seen = new Map<string, { attempt: number; call: number; shown: number }>();

  /** The text to print for this heartbeat of activity `activityId` (empty when nothing is new). */
  next(activityId: string, beat: StreamBeat): string {
    const last = this.seen.get(activityId);
    if (last && (beat.attempt < last.attempt || (beat.attempt === last.attempt && beat.call < last.call))) return ''; // an older attempt's heartbeat
    let out = '';
    let shown = last?.shown ?? 0;
    if (!last || beat.attempt !== last.attempt || beat.call !== last.call) {
      if (last) out += beat.attempt !== last.attempt ? `\n[attempt ${beat.attempt}: the model starts its answer again]\n` : `\n[request ${beat.call} of this step]\n`;
      shown = 0;
    }
    const end = beat.offset + beat.tail.length;
    if (end <= shown) {
      this.seen.set(activityId, { attempt: beat.attempt, call: beat.call, shown });
      return out;
    }
    if (beat.offset > shown) out += `[… ${beat.offset - shown} characters]`;
    out += beat.tail.slice(Math.max(0, shown - beat.offset));
    this.seen.set(activityId, { attempt: beat.attempt, call: beat.call, shown: end });
    return out;
  }
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
