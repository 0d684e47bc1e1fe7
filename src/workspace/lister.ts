import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { AimlError } from '../errors';

/**
 * The one workspace lister: the names of the regular files under a folder, honouring every
 * `.gitignore` on the way down (deeper files win, `!` re-includes) and `.git/info/exclude`, plus
 * one fixed skip list of version-control internals, dependency folders and aiml's own state.
 * Build output is skipped only where a gitignore says so. Symbolic links are not followed.
 * Context gathering, ingest and the agent's tools all list through here.
 */

/** Folders never listed, whatever the ignore files say. */
export const ALWAYS_SKIP: ReadonlySet<string> = new Set(['.git', '.hg', '.svn', 'node_modules', '.aiml', '__pycache__', '.venv', '.DS_Store']);

export interface ListOptions {
  /** Stop after this many files (the result says it was cut). */
  limit?: number;
  /** A folder inside the workspace to list (relative, `/`-separated); the ignore files above it still apply. */
  under?: string;
  /** Called every few hundred files, so a long listing can heartbeat. */
  onProgress?: (seen: number) => void;
}

export interface WorkspaceListing {
  /** Relative, `/`-separated, sorted by name within each folder (folders interleaved by name). */
  files: string[];
  /** Files and folders left out by an ignore rule or the skip list (a folder counts once). */
  ignored: number;
  unreadable: string[];
  truncated: boolean;
}

interface Level {
  base: string; // folder of the ignore file, relative to root ('' for the root)
  ig: Ignore;
}

function loadIgnore(file: string): Ignore | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // missing or unreadable: ignores nothing
  }
  return ignore({ allowRelativePaths: true }).add(text);
}

/** Whether `rel` is ignored by the stack of levels (the deepest rule that decides wins). */
function ignoredBy(levels: Level[], rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { base, ig } of levels) {
    if (base && !rel.startsWith(`${base}/`)) continue;
    const local = (base ? rel.slice(base.length + 1) : rel) + (isDir ? '/' : '');
    const t = ig.test(local);
    if (t.ignored) ignored = true;
    else if (t.unignored) ignored = false;
  }
  return ignored;
}

export function listWorkspace(root: string, opts: ListOptions = {}): WorkspaceListing {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch {
    throw new AimlError('DIR_MISSING', `Directory ${root} does not exist`);
  }
  if (!stat.isDirectory()) throw new AimlError('DIR_MISSING', `${root} is not a directory`);
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  const out: WorkspaceListing = { files: [], ignored: 0, unreadable: [], truncated: false };
  const under = (opts.under ?? '').split('/').filter((p) => p && p !== '.');
  if (under.includes('..')) throw new AimlError('PATH_REFUSED', `Refused folder "${opts.under}": ".." segments are not allowed`);

  const levels: Level[] = [];
  const exclude = loadIgnore(path.join(root, '.git', 'info', 'exclude'));
  if (exclude) levels.push({ base: '', ig: exclude });
  // Descend to `under`, collecting the ignore files above it; an ignored or skipped folder lists nothing.
  for (let i = 0; i <= under.length; i++) {
    const base = under.slice(0, i).join('/');
    const ig = loadIgnore(path.join(root, base, '.gitignore'));
    if (ig) levels.push({ base, ig });
    if (i < under.length) {
      const next = under.slice(0, i + 1).join('/');
      if (ALWAYS_SKIP.has(under[i]!) || ignoredBy(levels, next, true)) {
        out.ignored += 1;
        return out;
      }
    }
  }
  const start = under.join('/');
  let seen = 0;

  const walk = (dirRel: string, stack: Level[]): boolean => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, dirRel), { withFileTypes: true });
    } catch {
      out.unreadable.push(dirRel || '.');
      return true;
    }
    if (dirRel !== start && entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      const ig = loadIgnore(path.join(root, dirRel, '.gitignore'));
      if (ig) stack = [...stack, { base: dirRel, ig }];
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const rel = dirRel ? `${dirRel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (ALWAYS_SKIP.has(e.name) || ignoredBy(stack, rel, true)) out.ignored += 1;
        else if (!walk(rel, stack)) return false;
        continue;
      }
      if (!e.isFile()) continue; // symbolic links, sockets: not followed
      if (ALWAYS_SKIP.has(e.name) || ignoredBy(stack, rel, false)) {
        out.ignored += 1;
        continue;
      }
      if (out.files.length >= limit) {
        out.truncated = true;
        return false;
      }
      out.files.push(rel);
      if (++seen % 500 === 0) opts.onProgress?.(seen);
    }
    return true;
  };
  if (start) checkFolder(root, start);
  walk(start, levels);
  return out;
}

/** Refuses (DIR_MISSING) a folder `rel` of the workspace `root` that is not there or is not a folder. */
export function checkFolder(root: string, rel: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(path.join(root, rel));
  } catch {
    st = undefined;
  }
  if (!st?.isDirectory()) throw new AimlError('DIR_MISSING', `Folder "${rel}" does not exist in the workspace (or is not a folder)`);
}

/**
 * Files that retrieval and design context leave out although they are text and tracked: dependency lockfiles,
 * minified bundles and source maps. They are machine-written, often large (this repository's
 * package-lock.json alone is 341 KB), answer no question about the code, and crowd both the
 * lexical and the dense results. The agent's own file tools still see them.
 */
const GENERATED =
  /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lock|Cargo\.lock|poetry\.lock|Pipfile\.lock|uv\.lock|composer\.lock|Gemfile\.lock|go\.sum|packages\.lock\.json|gradle\.lockfile)$|\.min\.(js|mjs|css)$|\.(js|mjs|css)\.map$/;

export function isGenerated(rel: string): boolean {
  return GENERATED.test(rel);
}

/** Tests, fixtures and benchmarks: they mention everything, so rankings weigh them below the code and docs they exercise. */
const TEST_PATH = /(^|\/)(tests?|__tests__|specs?|fixtures?|testdata|e2e|histories|bench|benchmarks?)\/|\.(test|spec)\.[a-z]+$|_test\.(go|py)$|(^|\/)test_[^/]+\.py$/i;

/** The share of its score a test or fixture keeps in a ranking. */
export const TEST_PRIOR = 0.5;

export function isTestPath(rel: string): boolean {
  return TEST_PATH.test(rel);
}
