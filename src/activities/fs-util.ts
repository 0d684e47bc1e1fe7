import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../errors';

/** Resolves `rel` inside `root`, refusing anything that escapes it. */
export function resolveInside(root: string, rel: string): string {
  if (path.isAbsolute(rel)) throw new AimlError('PATH_OUTSIDE_WORKSPACE', `Absolute paths are not allowed: ${rel}`);
  const base = path.resolve(root);
  const target = path.resolve(base, rel);
  if (target !== base && !target.startsWith(base + path.sep)) {
    throw new AimlError('PATH_OUTSIDE_WORKSPACE', `${rel} resolves outside the workspace ${base}`);
  }
  return target;
}

/** Writes via a temp file in the same folder and a rename, so readers never see half a file. */
export function writeFileAtomic(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.aiml-${crypto.randomBytes(4).toString('hex')}.tmp`);
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}
