import { ApplicationFailure, Context } from '@temporalio/activity';
import { isAimlError } from '../errors';
import { LlmError } from '../llm/errors';

/** AimlError codes that describe a passing condition, worth a retry. Every other code is final. */
const RETRYABLE_CODES = new Set(['BLOB_MISSING_TRANSIENT', 'BLOB_STORE_UNREACHABLE', 'QDRANT_UNAVAILABLE', 'CHECK_TIMEOUT_TRANSIENT']);

/**
 * Maps domain failures onto Temporal's retry policy: one layer owns retries. LLM 4xx (but
 * 408/409/429) and input errors become non-retryable ApplicationFailures with a stable `type`;
 * 429 carries the server's Retry-After as nextRetryDelay; 5xx, timeouts and unknown errors retry.
 */
export function toFailure(err: unknown): Error {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof LlmError) {
    return ApplicationFailure.create({
      type: err.code,
      message: err.message,
      nonRetryable: !err.retryable,
      nextRetryDelay: err.retryAfterMs !== undefined ? Math.max(err.retryAfterMs, 1) : undefined,
      details: [{ status: err.status ?? null }],
    });
  }
  if (isAimlError(err)) {
    return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: !RETRYABLE_CODES.has(err.code) });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Runs `fn`, heartbeating every few seconds so a dead worker is noticed and cancellation arrives. */
export async function guarded<T>(fn: (signal: AbortSignal) => Promise<T>, heartbeatEveryMs = 5000): Promise<T> {
  let ctx: Context | undefined;
  try {
    ctx = Context.current();
  } catch {
    ctx = undefined; // called outside an activity (unit tests of the factory)
  }
  const timer = ctx && !ctx.info.isLocal ? setInterval(() => ctx!.heartbeat(), heartbeatEveryMs) : undefined; // local activities cannot heartbeat
  try {
    return await fn(ctx?.cancellationSignal ?? new AbortController().signal);
  } catch (err) {
    throw toFailure(err);
  } finally {
    if (timer) clearInterval(timer);
  }
}
