import { createHash } from 'node:crypto';
import type { CacheMode } from './providers';
import type { ChatRequest, ChatResponse } from './gateway';

/**
 * Answers to deterministic calls, kept in the worker's memory (LRU, bounded by entries and by
 * the bytes of the answers). A call is deterministic at temperature 0 (mode `deterministic`), or
 * always (mode `all`, for development). The key is a SHA-256 of the provider's name, endpoint and
 * model and of everything in the request that shapes the answer (messages, tools, schema,
 * temperature, output limit): never the API key, and the key is all that is kept besides the answer.
 */
export class ResponseCache {
  private readonly entries = new Map<string, { res: ChatResponse; bytes: number }>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly opts: { mode: CacheMode; maxEntries: number; maxBytes: number }) {}

  /** Whether this request's answer may be cached and served again. */
  cacheable(req: ChatRequest): boolean {
    if (this.opts.mode === 'off' || this.opts.maxEntries === 0) return false;
    return this.opts.mode === 'all' || req.temperature === 0;
  }

  key(provider: { name: string; endpoint: string; model: string }, req: ChatRequest): string {
    const shape = {
      p: [provider.name, provider.endpoint, provider.model],
      m: req.messages,
      t: req.tools ?? null,
      c: req.toolChoice ?? null,
      s: req.jsonSchema ?? null,
      temp: req.temperature ?? null,
      max: req.maxTokens ?? null,
    };
    return createHash('sha256').update(JSON.stringify(shape)).digest('hex');
  }

  get(key: string): ChatResponse | undefined {
    const e = this.entries.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    // Most recently used goes last.
    this.entries.delete(key);
    this.entries.set(key, e);
    this.hits++;
    return e.res;
  }

  put(key: string, res: ChatResponse): void {
    const bytes = Buffer.byteLength(res.content) + Buffer.byteLength(JSON.stringify(res.toolCalls)) + 200;
    if (bytes > this.opts.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.bytes;
      this.entries.delete(key);
    }
    this.entries.set(key, { res, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.opts.maxEntries && this.bytes <= this.opts.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.bytes;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
