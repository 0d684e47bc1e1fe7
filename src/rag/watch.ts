import fs from 'node:fs';

/**
 * Re-syncs a folder when its files change: file events are debounced (a burst of saves is one
 * sync), a sync never overlaps another, and changes made while one runs cause exactly one more
 * after it. Knows nothing of how a sync is done: `sync` is given.
 */
export interface FolderWatch {
  /** Stops watching; resolves when the sync in flight (if any) has ended. */
  close(): Promise<void>;
}

export interface WatchOptions {
  debounceMs: number;
  /** Paths (relative to the folder) whose changes are ignored; `.git/` always is. */
  ignore?: (rel: string) => boolean;
  onError?: (err: unknown) => void;
}

export function watchFolder(dir: string, opts: WatchOptions, sync: () => Promise<void>): FolderWatch {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let pending = false;
  let closed = false;

  const run = (): void => {
    if (closed) return;
    if (running) {
      pending = true; // once the current sync ends
      return;
    }
    running = sync()
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => {
        running = undefined;
        if (pending && !closed) {
          pending = false;
          run();
        }
      });
  };

  const watcher = fs.watch(dir, { recursive: true }, (_event, file) => {
    const rel = String(file ?? '').replace(/\\/g, '/');
    if (rel === '.git' || rel.startsWith('.git/') || opts.ignore?.(rel)) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, opts.debounceMs);
  });
  watcher.on('error', (err) => opts.onError?.(err));

  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher.close();
      await running;
    },
  };
}

/** "90s", "15m", "1h", "1d" → milliseconds; anything else is undefined. */
export function parseInterval(text: string): number | undefined {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * unit;
  return ms > 0 ? ms : undefined;
}
