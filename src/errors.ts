import type { Usage } from './contracts/run';

/**
 * Every error code aiml uses: AimlError codes and the failure types workflows throw. Stable,
 * checkable without `instanceof`, and the same string as the Temporal failure's `type`.
 */
export const ERROR_CODES = [
  'APPROVAL_TIMEOUT',
  'CODEC_KEY_UNKNOWN',
  'CODEC_CORRUPT',
  'KB_STORE_LAYOUT',
  'KB_STORE_LOCKED',
  'LLM_STALLED',
  'LOCAL_MODEL_INSTALL_FAILED',
  'LOCAL_MODEL_LOAD_FAILED',
  'LOCAL_MODEL_FAILED',
  'LOCAL_CONTEXT_FULL',
  'LOCAL_SCHEMA_UNSUPPORTED',
  'LOCAL_TOOL_CALL_INVALID',
  'LLM_OUTPUT_TOO_LONG',
  'PHASE_UNDECIDED',
  'BLOB_MISSING',
  'BLOB_MISSING_TRANSIENT',
  'BLOB_REF_INVALID',
  'BLOB_STORE_REFUSED',
  'BLOB_STORE_UNREACHABLE',
  'HOST_WORKER_DOWN',
  'CANCELLED',
  'CHECK_TIMEOUT_TRANSIENT',
  'CONFIG_INVALID',
  'CONFIG_MISSING',
  'DECISION_REFUSED',
  'DEV_SERVER_FAILED',
  'DIR_MISSING',
  'EMBED_DIMS_UNKNOWN',
  'EMBED_MODEL_INSTALL_FAILED',
  'EMBED_MODEL_INVALID',
  'EMBED_MODEL_MISSING',
  'EMBED_PROCESS_DIED',
  'FILE_CONFLICT',
  'WORKSPACE_WRITE_FAILED',
  'GATE_MISMATCH',
  'INPUT_INVALID',
  'KB_DIR_MISSING',
  'KB_MODEL_MISMATCH',
  'KB_NOT_FOUND',
  'KB_ROOT_MISMATCH',
  'KB_SHARED',
  'KB_STORE_CLOSED',
  'KB_STORE_CORRUPT',
  'KB_SYNC_FAILED',
  'KB_UNAVAILABLE',
  'LLM_ABORTED',
  'LLM_BAD_REQUEST',
  'LLM_CONNECTION',
  'LLM_FORBIDDEN',
  'LLM_MALFORMED_OUTPUT',
  'LLM_NOT_FOUND',
  'LLM_RATE_LIMITED',
  'LLM_SERVER_ERROR',
  'LLM_TIMEOUT',
  'LLM_UNAUTHORIZED',
  'LLM_UNPROCESSABLE',
  'NOTHING_TO_REVERT',
  'NOT_FOUND',
  'NO_PENDING_GATE',
  'NO_WORKER_ANSWER',
  'OUTPUT_EXISTS',
  'PATH_REFUSED',
  'PORT_IN_USE',
  'PYTHON_MISSING',
  'QDRANT_REQUEST_FAILED',
  'QDRANT_UNAVAILABLE',
  'REVERT_REFUSED',
  'SHADOW_FAILED',
  'RUN_ACTIVE',
  'RUN_CLOSED',
  'RUN_ELSEWHERE',
  'RUN_FAILED',
  'RUN_NOT_FOUND',
  'TEMPORAL_BIN_MISSING',
  'TEMPORAL_INSTALL_FAILED',
  'TEMPORAL_UNREACHABLE',
  'TOKENIZER_INVALID',
  'TOKEN_BUDGET_EXCEEDED',
  'TOO_MANY_REVISIONS',
  'USAGE',
] as const;

/** A listed code, or the LLM endpoint's HTTP status for statuses without a name of their own. */
export type ErrorCode = (typeof ERROR_CODES)[number] | `LLM_HTTP_${number}`;

/** A failure type that crossed a process boundary as a string, as an ErrorCode (or `fallback`). */
export function toErrorCode(type: string | undefined | null, fallback: ErrorCode): ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(type ?? '') ? (type as ErrorCode) : fallback;
}

/**
 * Errors with a stable `code`, checkable without `instanceof` (workflow code runs in another V8
 * context, and failures cross process boundaries as plain data).
 */
export class AimlError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AimlError';
  }
}

/** `err`, carrying what its calls spent (`spentBy` reads it back). */
export function withSpent<E extends Error>(err: E, spent: Usage): E {
  (err as E & { spent?: Usage }).spent = spent;
  return err;
}

/** What the calls of the failed operation behind `err` spent, if it says. */
export function spentBy(err: unknown): Usage | undefined {
  return typeof err === 'object' && err !== null ? (err as { spent?: Usage }).spent : undefined;
}

export function isAimlError(err: unknown, code?: ErrorCode): err is AimlError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'AimlError' &&
    (code === undefined || (err as { code?: unknown }).code === code)
  );
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Whether a string (say a Temporal failure's `type`) is one of aiml's error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
