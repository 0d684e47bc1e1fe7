import fs from 'node:fs';
import path from 'node:path';

/** Writes `content` at `rel` under `root`, creating folders. */
export function writeAt(root: string, rel: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
}
