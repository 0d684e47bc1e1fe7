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
