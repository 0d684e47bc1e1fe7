import path from 'node:path';
import { resolveEditPath } from '../workspace/paths';

/**
 * Where aiml's own files (SPECS.md, the build report) may go: the same rules as generated edits
 * (inside the workspace, no symlink escape, no secret stores), returned under the workspace path given.
 */
export function safeTarget(workspace: string, rel: string): string {
  return path.join(path.resolve(workspace), resolveEditPath(workspace, rel).rel);
}
