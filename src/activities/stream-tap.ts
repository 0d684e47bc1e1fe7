import type { Context } from '@temporalio/activity';
import { STREAM_TAIL_CHARS, type StreamBeat } from '../contracts/stream';
import type { StreamSink } from '../llm/gateway';

/**
 * What an LLM activity streams, kept for its heartbeats: the end of the text being generated, with
 * the attempt and call it belongs to and where in the text it starts. The Temporal SDK sends the
 * latest heartbeat at most once per throttle interval (the worker sets 1 s), so a fast stream costs
 * no more calls to the server than a slow one.
 */
export class StreamTap implements StreamSink {
  private beat: StreamBeat;

  constructor(private readonly ctx: Context | undefined) {
    this.beat = { kind: 'llm-stream', attempt: ctx?.info.attempt ?? 1, call: 0, offset: 0, tail: '' };
  }

  start(): void {
    this.beat = { kind: 'llm-stream', attempt: this.beat.attempt, call: this.beat.call + 1, offset: 0, tail: '' };
    this.heartbeat();
  }

  /** Another provider takes over the call: its text starts afresh, after the list of those that stopped. */
  fallback(from: string, reason: string, to: string): void {
    this.beat = { ...this.beat, offset: 0, tail: '', fallbacks: [...(this.beat.fallbacks ?? []), { from, reason, to }] };
    this.heartbeat();
  }

  text(delta: string): void {
    if (!delta) return;
    const tail = this.beat.tail + delta;
    const cut = Math.max(0, tail.length - STREAM_TAIL_CHARS);
    this.beat = { ...this.beat, offset: this.beat.offset + cut, tail: tail.slice(cut) };
    this.heartbeat();
  }

  /** The latest details, for the activity's periodic heartbeat too (a heartbeat without them would clear them). */
  details(): StreamBeat {
    return this.beat;
  }

  private heartbeat(): void {
    this.ctx?.heartbeat(this.beat);
  }
}
