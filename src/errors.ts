/**
 * Errors with a stable `code`, checkable without `instanceof` (workflow code runs in another V8
 * context, and failures cross process boundaries as plain data).
 */
export class AimlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AimlError';
  }
}

export function isAimlError(err: unknown, code?: string): err is AimlError {
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
