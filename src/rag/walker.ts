import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../errors';
import { sha256hex } from './chunk/ids';
import { isIgnored, parseGitignore, type IgnoreRule } from './gitignore';

/** Folders never indexed, whatever .gitignore says. */
const ALWAYS_SKIP = new Set(['.git', '.hg', '.svn', 'node_modules', '.aiml', '__pycache__', '.venv', '.DS_Store']);

export interface ScannedFile {
  path: string; // relative, `/`-separated
  hash: string; // sha256 of the bytes
  bytes: number;
}

export interface ScanResult {
  files: ScannedFile[];
  skipped: { binary: number; oversized: number; unreadable: number; ignored: number };
  unreadablePaths: string[];
}

export interface ScanOptions {
  maxFileBytes?: number;
  /** Called every few hundred files, so a long scan can heartbeat. */
  onProgress?: (seen: number) => void;
}

export function looksBinary(buf: Buffer): boolean {
  const head = buf.subarray(0, 8000);
  return head.includes(0);
}

/** Lists, reads and hashes the text files under `root`, honouring every .gitignore on the way down. */
export function scanDirectory(root: string, opts: ScanOptions = {}): ScanResult {
  const maxBytes = opts.maxFileBytes ?? 1_000_000;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch {
    throw new AimlError('KB_DIR_MISSING', `Directory ${root} does not exist`);
  }
  if (!stat.isDirectory()) throw new AimlError('KB_DIR_MISSING', `${root} is not a directory`);
  const result: ScanResult = { files: [], skipped: { binary: 0, oversized: 0, unreadable: 0, ignored: 0 }, unreadablePaths: [] };
  let seen = 0;
  const walk = (dirRel: string, rules: IgnoreRule[]): void => {
    const dirAbs = path.join(root, dirRel);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dirAbs, { withFileTypes: true });
    } catch {
      result.skipped.unreadable += 1;
      result.unreadablePaths.push(dirRel || '.');
      return;
    }
    const gi = entries.find((e) => e.name === '.gitignore' && e.isFile());
    if (gi) {
      try {
        rules = [...rules, ...parseGitignore(fs.readFileSync(path.join(dirAbs, '.gitignore'), 'utf8'), dirRel)];
      } catch {
        /* an unreadable .gitignore ignores nothing */
      }
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const rel = dirRel ? `${dirRel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (ALWAYS_SKIP.has(e.name) || isIgnored(rules, rel, true)) result.skipped.ignored += 1;
        else walk(rel, rules);
        continue;
      }
      if (!e.isFile()) continue; // symlinks, sockets: not followed
      if (isIgnored(rules, rel, false)) {
        result.skipped.ignored += 1;
        continue;
      }
      if (++seen % 500 === 0) opts.onProgress?.(seen);
      let buf: Buffer;
      try {
        if (fs.statSync(path.join(root, rel)).size > maxBytes) {
          result.skipped.oversized += 1;
          continue;
        }
        buf = fs.readFileSync(path.join(root, rel));
      } catch {
        result.skipped.unreadable += 1;
        result.unreadablePaths.push(rel);
        continue;
      }
      if (looksBinary(buf)) {
        result.skipped.binary += 1;
        continue;
      }
      result.files.push({ path: rel, hash: sha256hex(buf), bytes: buf.length });
    }
  };
  walk('', []);
  return result;
}
