import { AimlError, type ErrorCode } from '../errors';

/**
 * LLM failures, classified once so the activity layer can map them onto Temporal's retry policy.
 * The domain knows nothing of Temporal: it only says whether a retry could help and when.
 */
export class LlmError extends AimlError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(code, message, { status, retryAfterMs });
  }
}

/** Non-retryable: the request itself is wrong, or we are not allowed. 408/409/429 are worth a retry. */
export function isRetryableStatus(status: number): boolean {
  if (status === 408 || status === 409 || status === 429) return true;
  return status >= 500 || status < 400;
}

/** Parses `retry-after-ms` / `retry-after` (seconds or HTTP date). */
export function parseRetryAfter(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'LLM_BAD_REQUEST',
  401: 'LLM_UNAUTHORIZED',
  403: 'LLM_FORBIDDEN',
  404: 'LLM_NOT_FOUND',
  422: 'LLM_UNPROCESSABLE',
  429: 'LLM_RATE_LIMITED',
};

/** Converts whatever the openai SDK threw into an LlmError. Never includes the API key. */
export function classifyLlmError(err: unknown): LlmError {
  if (err instanceof LlmError) return err;
  const e = err as { status?: unknown; headers?: { get(name: string): string | null }; message?: unknown; name?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (typeof e?.status === 'number') {
    const status = e.status;
    const code = STATUS_CODES[status] ?? (status >= 500 ? 'LLM_SERVER_ERROR' : (`LLM_HTTP_${status}` as const));
    const hint = status === 401 ? ' (check OPENAI_API_KEY)' : status === 404 ? ' (check OPENAI_BASE_URL and AIML_MODEL)' : '';
    return new LlmError(code, `LLM endpoint answered ${status}: ${message}${hint}`, isRetryableStatus(status), status, parseRetryAfter(e.headers));
  }
  const name = typeof e?.name === 'string' ? e.name : '';
  if (name === 'APIConnectionTimeoutError') return new LlmError('LLM_TIMEOUT', `LLM request timed out: ${message}`, true);
  if (name === 'APIUserAbortError' || name === 'AbortError') return new LlmError('LLM_ABORTED', 'LLM request was cancelled', true);
  return new LlmError('LLM_CONNECTION', `LLM endpoint unreachable: ${message}`, true);
}
