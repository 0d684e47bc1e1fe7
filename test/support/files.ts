import fs from 'node:fs';
import path from 'node:path';

/** Writes `content` at `rel` under `root`, creating folders. */
export function writeAt(root: string, rel: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
}

/** Writes each file of `files` (relative path → text) under `root`; returns `root`. */
export function writeTree(root: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) writeAt(root, rel, text);
  return root;
}
