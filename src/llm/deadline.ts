import { LlmError } from './errors';

/**
 * Bounds one LLM request in time: a total timeout, an idle timeout between streamed chunks (or
 * generated tokens), and the caller's own cancellation. Any of them aborts `signal`, which the
 * HTTP client (or the local generator) obeys: the request is torn down, so the server stops.
 */
export class StreamDeadline {
  private readonly controller = new AbortController();
  private readonly total: NodeJS.Timeout;
  private idle: NodeJS.Timeout | undefined;
  private why: 'total' | 'idle' | 'cancelled' | undefined;
  private readonly onCancel = (): void => this.abort('cancelled');

  /**
   * `idleFrom: 'first-chunk'` starts the idle clock at the first `touch()` rather than now: for a
   * model in this process, reading a long prompt before the first token is work, not a stall (the
   * total timeout still bounds it); for a server, silence from the start counts.
   */
  constructor(
    private readonly caller: AbortSignal | undefined,
    private readonly totalMs: number,
    private readonly idleMs: number,
    idleFrom: 'start' | 'first-chunk' = 'start',
  ) {
    this.total = setTimeout(() => this.abort('total'), totalMs);
    if (idleFrom === 'start') this.touch();
    if (caller?.aborted) this.abort('cancelled');
    else caller?.addEventListener('abort', this.onCancel, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Something arrived: the idle clock starts again. */
  touch(): void {
    if (this.idle) clearTimeout(this.idle);
    if (!this.why) this.idle = setTimeout(() => this.abort('idle'), this.idleMs);
  }

  clear(): void {
    clearTimeout(this.total);
    if (this.idle) clearTimeout(this.idle);
    this.caller?.removeEventListener('abort', this.onCancel);
  }

  /** The LlmError for a failure this deadline caused, or undefined when it was something else. */
  explain(err: unknown): LlmError | undefined {
    if (!this.why) return undefined;
    if (err instanceof LlmError && err.code !== 'LLM_ABORTED' && err.code !== 'LLM_CONNECTION') return err;
    if (this.why === 'cancelled') return new LlmError('LLM_ABORTED', 'LLM request was cancelled', true);
    if (this.why === 'idle') return new LlmError('LLM_STALLED', `LLM stream stalled: nothing arrived for ${this.idleMs} ms (AIML_LLM_IDLE_TIMEOUT_MS)`, true);
    return new LlmError('LLM_TIMEOUT', `LLM request timed out after ${this.totalMs} ms (AIML_LLM_TIMEOUT_MS)`, true);
  }

  private abort(why: 'total' | 'idle' | 'cancelled'): void {
    if (this.why) return;
    this.why = why;
    this.clear();
    this.controller.abort(new Error(`LLM request ${why === 'cancelled' ? 'cancelled' : `${why} timeout`}`));
  }
}
