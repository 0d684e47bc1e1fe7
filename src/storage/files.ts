import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Writes via a temp file in the same folder and a rename, so readers never see half a file. */
export function writeFileAtomic(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.aiml-${crypto.randomBytes(4).toString('hex')}.tmp`);
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

/** Writes `content` atomically unless the file already holds exactly it (a retried activity writes nothing). */
export function writeFileIfChanged(file: string, content: string): { unchanged: boolean } {
  const unchanged = fs.existsSync(file) && fs.readFileSync(file).equals(Buffer.from(content));
  if (!unchanged) writeFileAtomic(file, content);
  return { unchanged };
}
