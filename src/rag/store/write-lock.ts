import fs from 'node:fs';
import { AimlError } from '../../errors';

/**
 * One writer at a time for a file, across processes: a lock file created exclusively and holding
 * the writer's pid, removed when the write ends. A lock whose process is gone (a crash) is taken
 * over; one held by a live process is a clear KB_STORE_LOCKED error, not a wait.
 */
const held = new Set<string>(); // locks this process holds: taking one again is a no-op

export function withWriteLock<T>(lockFile: string, what: string, fn: () => T): T {
  if (held.has(lockFile)) return fn();
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockedError(lockFile, what, err);
      const holder = Number(fs.readFileSync(lockFile, 'utf8').trim() || '0');
      if (holder && holder !== process.pid && alive(holder)) throw lockedError(lockFile, what, undefined, holder);
      fs.rmSync(lockFile, { force: true }); // left by a process that died mid-write
    }
  }
  held.add(lockFile);
  try {
    return fn();
  } finally {
    held.delete(lockFile);
    fs.rmSync(lockFile, { force: true });
  }
}

/** Whether a process with this id exists (EPERM: it does, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(lockFile: string, what: string, cause?: unknown, holder?: number): AimlError {
  if (holder) {
    return new AimlError('KB_STORE_LOCKED', `${what} is being written by another process (pid ${holder}); one writer at a time (lock ${lockFile})`);
  }
  return new AimlError('KB_STORE_LOCKED', `Could not lock ${what} for writing (${lockFile}): ${(cause as Error)?.message ?? 'held by another process'}`);
}
