import { ApplicationFailure, Context } from '@temporalio/activity';
import { isAimlError, spentBy } from '../errors';
import { LlmError } from '../llm/errors';
import { StreamTap } from './stream-tap';

/** AimlError codes that describe a passing condition, worth a retry. Every other code is final. */
const RETRYABLE_CODES = new Set(['BLOB_MISSING_TRANSIENT', 'BLOB_STORE_UNREACHABLE', 'QDRANT_UNAVAILABLE', 'CHECK_TIMEOUT_TRANSIENT', 'EMBED_PROCESS_DIED']);

/**
 * Maps domain failures onto Temporal's retry policy: one layer owns retries. LLM 4xx (but
 * 408/409/429) and input errors become non-retryable ApplicationFailures with a stable `type`;
 * 429 carries the server's Retry-After as nextRetryDelay; 5xx, timeouts and unknown errors retry.
 */
export function toFailure(err: unknown): Error {
  if (err instanceof ApplicationFailure) return err;
  // What the failed calls spent rides in the failure's details, for the run to count (failureSpent).
  const spent = spentBy(err);
  if (err instanceof LlmError) {
    return ApplicationFailure.create({
      type: err.code,
      message: err.message,
      nonRetryable: !err.retryable,
      nextRetryDelay: err.retryAfterMs !== undefined ? Math.max(err.retryAfterMs, 1) : undefined,
      details: [{ status: err.status ?? null, ...(spent ? { spent } : {}) }],
    });
  }
  if (isAimlError(err)) {
    return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: !RETRYABLE_CODES.has(err.code), ...(spent ? { details: [{ spent }] } : {}) });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Runs `fn`, heartbeating every few seconds so a dead worker is noticed and cancellation arrives.
 * LLM activities pass `tap` to the gateway as its `stream`: the heartbeats then carry the end of the
 * text being generated, for `aiml watch` (never an event in history).
 */
export async function guarded<T>(fn: (signal: AbortSignal, tap: StreamTap) => Promise<T>, heartbeatEveryMs = 5000): Promise<T> {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    ctx = undefined; // called outside an activity (unit tests of the factory)
  }
  const live = ctx && !ctx.info.isLocal ? ctx : undefined; // local activities cannot heartbeat
  const tap = new StreamTap(live);
  const timer = live ? setInterval(() => live.heartbeat(tap.details().call ? tap.details() : undefined), heartbeatEveryMs) : undefined;
  try {
    return await fn(ctx?.cancellationSignal ?? new AbortController().signal, tap);
  } catch (err) {
    throw toFailure(err);
  } finally {
    if (timer) clearInterval(timer);
  }
}
