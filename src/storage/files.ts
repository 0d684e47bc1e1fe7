import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The one atomic write: content goes to a temp file in the same folder, then a rename, so readers
 * never see half a file. `content` may be a writer that streams into the open file (large files);
 * `fsync` flushes it to disk before the rename. A failed write leaves no temp file behind.
 */
export function writeFileAtomic(file: string, content: string | Buffer | ((fd: number) => void), opts: { fsync?: boolean } = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.aiml-${crypto.randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      if (typeof content === 'function') content(fd);
      else fs.writeFileSync(fd, content);
      if (opts.fsync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes `content` atomically unless the file already holds exactly it (a retried activity writes nothing). */
export function writeFileIfChanged(file: string, content: string): { unchanged: boolean } {
  const unchanged = fs.existsSync(file) && fs.readFileSync(file).equals(Buffer.from(content));
  if (!unchanged) writeFileAtomic(file, content);
  return { unchanged };
}
