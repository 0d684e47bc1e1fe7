/**
 * Token streaming out of history: an LLM activity heartbeats the tail of the text it is
 * generating; `aiml watch` reads the pending activity's last heartbeat through describe(). Nothing
 * of it is an event in the run's history.
 */

/** Characters of the current generation a heartbeat carries (its end; older text was shown already or is skipped). */
export const STREAM_TAIL_CHARS = 1_000;

/** The details of an LLM activity's heartbeat while it streams. */
export interface StreamBeat {
  kind: 'llm-stream';
  /** The activity attempt that produced it (a retry starts a new generation). */
  attempt: number;
  /** The model call within the attempt (a repair or "shorter" request is call 2). */
  call: number;
  /** Characters of this call's text before `tail`. */
  offset: number;
  tail: string;
  /**
   * The providers that stopped during this call, in order, each with the one that took over (the
   * router's fallback). Absent until one does; `offset` and `tail` are then the text of the
   * provider answering now.
   */
  fallbacks?: StreamFallback[];
}

/** A provider that stopped mid-call (`reason`: the outage, e.g. `LLM_STALLED`) and the next one, which answers. */
export interface StreamFallback {
  from: string;
  reason: string;
  to: string;
}

/** `--- primary stopped (LLM_STALLED); backup answers ---` */
export function fallbackLine(f: StreamFallback): string {
  return `--- ${f.from} stopped (${f.reason}); ${f.to} answers ---`;
}

function isStreamFallback(v: unknown): v is StreamFallback {
  const f = v as Partial<StreamFallback> | null;
  return typeof f === 'object' && f !== null && typeof f.from === 'string' && typeof f.reason === 'string' && typeof f.to === 'string';
}

/** A heartbeat `aiml watch` can show: the shape above, every fallback included (anything else is passed over). */
export function isStreamBeat(v: unknown): v is StreamBeat {
  const b = v as Partial<StreamBeat> | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    b.kind === 'llm-stream' &&
    typeof b.attempt === 'number' &&
    typeof b.call === 'number' &&
    typeof b.offset === 'number' &&
    typeof b.tail === 'string' &&
    (b.fallbacks === undefined || (Array.isArray(b.fallbacks) && b.fallbacks.every(isStreamFallback)))
  );
}
