import fs from 'node:fs';
import path from 'node:path';

/**
 * A circuit breaker per provider: after `failures` outages in a row a provider is skipped for a
 * cool-down, then tried again by one call (half-open); an answer closes it, a failure opens it
 * again. The state lives in one small JSON file (`llm-breaker.json` in AIML_HOME), so it holds
 * across runs and worker restarts, and every worker sharing AIML_HOME sees it. Writes are
 * read-merge-rename: two workers failing at the same instant may lose one count, which only
 * delays opening by a call; the breaker is advice, never a lock. Without a file (no AIML_HOME
 * given) it is per process.
 */

export interface BreakerEntry {
  /** Outages in a row. */
  failures: number;
  /** Epoch ms until which the provider is skipped (absent: closed). */
  openUntil?: number;
  /** The last outage, in words (an error code and status: never a key or a prompt). */
  lastError: string;
}

export type BreakerState = { state: 'closed' } | { state: 'half-open'; lastError: string } | { state: 'open'; until: number; lastError: string };

export interface BreakerOptions {
  failures: number;
  cooldownMs: number;
  /** The shared state file; absent: in memory only. */
  file?: string;
  now?: () => number;
}

export class CircuitBreaker {
  private entries: Record<string, BreakerEntry> = {};
  private loadedMtime = -1;
  /** Providers with a half-open probe in flight in this process: other calls skip them meanwhile. */
  private readonly probing = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly opts: BreakerOptions) {
    this.now = opts.now ?? Date.now;
  }

  static fileIn(stateDir: string): string {
    return path.join(stateDir, 'llm-breaker.json');
  }

  /** Whether a call may use `key` now; a half-open answer reserves the probe for the caller. */
  check(key: string): BreakerState {
    this.refresh();
    const e = this.entries[key];
    if (!e?.openUntil) return { state: 'closed' };
    if (this.now() < e.openUntil) return { state: 'open', until: e.openUntil, lastError: e.lastError };
    if (this.probing.has(key)) return { state: 'open', until: this.now(), lastError: `${e.lastError}; another call is probing it` };
    this.probing.add(key);
    return { state: 'half-open', lastError: e.lastError };
  }

  /** The call ended without saying anything of the provider's health (a 4xx, a cancel): its probe, if it had one, is free again. */
  release(key: string): void {
    this.probing.delete(key);
  }

  /** The provider answered: closed again (and the file says so, when it had said otherwise). */
  success(key: string): void {
    this.probing.delete(key);
    if (!this.entries[key]) return;
    this.update(key, undefined);
  }

  /** An outage: counted; at the threshold (or at once, half-open) the provider is skipped for the cool-down, or `retryAfterMs` if longer. */
  failure(key: string, lastError: string, retryAfterMs?: number): void {
    const wasProbe = this.probing.delete(key);
    this.refresh();
    const failures = (this.entries[key]?.failures ?? 0) + 1;
    const open = wasProbe || failures >= this.opts.failures;
    const cooldown = Math.max(this.opts.cooldownMs, retryAfterMs ?? 0);
    this.update(key, { failures, lastError: lastError.slice(0, 300), ...(open ? { openUntil: this.now() + cooldown } : {}) });
  }

  /** Providers open now, with when they are tried again. */
  openNow(): { key: string; until: number; lastError: string }[] {
    this.refresh();
    const now = this.now();
    return Object.entries(this.entries)
      .filter(([, e]) => e.openUntil !== undefined && e.openUntil > now)
      .map(([key, e]) => ({ key, until: e.openUntil!, lastError: e.lastError }));
  }

  private update(key: string, entry: BreakerEntry | undefined): void {
    this.refresh();
    const next = { ...this.entries };
    if (entry) next[key] = entry;
    else delete next[key];
    this.entries = next;
    if (!this.opts.file) return;
    try {
      fs.mkdirSync(path.dirname(this.opts.file), { recursive: true });
      const tmp = `${this.opts.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(next));
      fs.renameSync(tmp, this.opts.file);
      this.loadedMtime = fs.statSync(this.opts.file).mtimeMs;
    } catch {
      // A read-only or full AIML_HOME: the breaker still works in this process.
    }
  }

  /** Re-reads the file when another process (or run) changed it. A missing or unreadable file is an empty state. */
  private refresh(): void {
    if (!this.opts.file) return;
    let mtime: number;
    try {
      mtime = fs.statSync(this.opts.file).mtimeMs;
    } catch {
      if (this.loadedMtime !== -1) this.entries = {};
      this.loadedMtime = -1;
      return;
    }
    if (mtime === this.loadedMtime) return;
    try {
      const parsed = JSON.parse(fs.readFileSync(this.opts.file, 'utf8')) as unknown;
      this.entries = isEntries(parsed) ? parsed : {};
    } catch {
      this.entries = {};
    }
    this.loadedMtime = mtime;
  }
}

function isEntries(v: unknown): v is Record<string, BreakerEntry> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.values(v).every((e) => typeof e === 'object' && e !== null && typeof (e as BreakerEntry).failures === 'number' && typeof (e as BreakerEntry).lastError === 'string');
}
