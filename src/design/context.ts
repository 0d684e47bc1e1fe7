import fs from 'node:fs';
import path from 'node:path';
import { isGenerated, isTestPath, listWorkspace, TEST_PRIOR } from '../workspace/lister';
import { Bm25Index } from '../rag/bm25';
import { lexicalTerms, stem } from '../rag/lexical';
import type { Redaction } from '../contracts/security';
import { redactSecrets } from '../security/secrets';
import { interleaveByStrength } from '../rag/fusion';
import { readText } from '../workspace/edits';

/** Workspace files that a brief is about, ranked as the knowledge bases rank; plus the project's own README and manifest. */

export interface ContextFile {
  path: string; // relative to the workspace
  score: number;
  /** The start of the file, or (ranked by meaning) the pieces of it that matched; credentials replaced by `[REDACTED: …]` markers. */
  excerpt: string;
  /** The line ranges `excerpt` holds, when it is pieces of the file rather than its start. */
  lines?: [number, number][];
  redactions?: Redaction[];
}

/** A piece of a workspace file found by a ranked search, with the refiner's similarity to the query (cosine, -1…1). */
export interface ContextPiece {
  path: string;
  startLine: number;
  endLine: number;
  text: string;
  similarity: number;
}

export interface RetrievedSnippet {
  path: string;
  startLine?: number;
  endLine?: number;
  score: number;
  text: string;
  /** Credentials removed from `text` when it was retrieved. */
  redactions?: Redaction[];
}

export interface DesignContext {
  files: ContextFile[];
  kb: RetrievedSnippet[];
}

const TEXT_EXT = /\.(md|mdx|txt|ts|tsx|js|jsx|mjs|cjs|py|go|rs|java|kt|rb|json|ya?ml|toml|sql|sh|css|html|proto|graphql)$/i;
/** What says what a project is: kept whenever it sits at the workspace's root. */
const ALWAYS = /^(readme(\.\w+)?|package\.json|pyproject\.toml|go\.mod|cargo\.toml|requirements\.txt)$/i;
/** Words nearly every brief and every project share, which rank nothing. */
const BRIEF_STOP = new Set(
  'design designs build builds system systems use using add adds make create implement write new need want should would could able also ai ml app application project code'
    .split(' ')
    .map(stem),
);
/** A file is kept only when it scores at least this share of the best file's score. */
const RELATIVE_FLOOR = 0.3;
/**
 * A file is kept only when the query's words it has weigh, by their IDF, at least `share` of all
 * the query's words (a word the workspace does not have weighs as a word of one file), or `enough`
 * (three or so words rarer than most) for a long query such as a spec. A brief about another
 * system shares a word or two with most workspaces, and without this got a full room of files: on
 * bench:rag-quality, six such briefs were shown 114 files in all over the three corpora (3–8 each),
 * now 9 (0–3), the npm tasks' wanted module staying among the first five as often (.805; among the
 * first eight .854 → .805). On this repository, three such briefs went from 6 files to 1–3, and
 * briefs about it kept theirs.
 */
const WORDS_COVERAGE = { share: 0.2, enough: 8 } as const;

/** The brief's terms that rank files: analysed like the files (identifiers split, stems), common words dropped. */
export function terms(text: string): Set<string> {
  return new Set(lexicalTerms(text).filter((t) => !BRIEF_STOP.has(t)));
}

/**
 * Limits of one context gathering (documented in README "Limits"): files looked at, files kept,
 * bytes read from the start of each kept file (more are read to rank it), characters of rendered context.
 */
export const CONTEXT_LIMITS = { scanFiles: 5000, maxFiles: 8, excerptBytes: 2000, scoreBytes: 8192, renderedChars: 64_000 } as const;
/** Read past the excerpt so a credential that straddles its end is still seen whole, then removed. */
const SECRET_SLACK_BYTES = 1024;

function readStart(file: string, bytes: number): string | undefined {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(bytes);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      return buf.subarray(0, n).includes(0) ? undefined : buf.subarray(0, n).toString('utf8'); // binary: undefined
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

export interface ContextOptions {
  maxFiles?: number;
  excerptBytes?: number;
  /**
   * Text the prompt holds already (a plan's spec): a file whose start, or a piece, is found in it
   * word for word is left out, so SPECS.md is not shown again beside itself (taking a file's room).
   */
  shown?: string;
}

/** How much of a file's start is looked for in `ContextOptions.shown`. */
const SHOWN_SAMPLE_CHARS = 1000;
/** Shorter texts (an empty object, a one-line file) are not taken for copies of what was shown. */
const SHOWN_MIN_CHARS = 80;

/**
 * Whether `text` (a file's start, a piece) is in `shown` word for word, and long enough for that to
 * mean it is a copy. `shown` may be a redacted copy (a spec read back from the blob store): where
 * it has redaction markers, `text` is compared redacted too.
 */
export function shownAlready(text: string, shown: string | undefined, minChars = SHOWN_MIN_CHARS): boolean {
  if (shown === undefined || text.trim().length < minChars) return false;
  return shown.includes(text) || (shown.includes('[REDACTED: ') && shown.includes(redactSecrets(text, 'context').text));
}

/** The workspace root's README and manifests (what says what the project is), by name, each read from its start. */
function rootFiles(root: string, bytes: number): ContextFile[] {
  let names: string[];
  try {
    names = fs
      .readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isFile() && ALWAYS.test(e.name))
      .map((e) => e.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const excerpt = readStart(path.join(root, name), bytes);
    return excerpt === undefined ? [] : [{ path: name, score: 0, excerpt }];
  });
}

/** The excerpt cut to `excerptBytes` with its credentials replaced (read a little past the cut, so one straddling it is seen whole). */
function redactedExcerpt(f: ContextFile, excerptBytes: number): ContextFile {
  const { text, redactions } = redactSecrets(f.excerpt.slice(0, excerptBytes + SECRET_SLACK_BYTES), f.path);
  return { ...f, score: Math.round(f.score * 1000) / 1000, excerpt: text.slice(0, excerptBytes), ...(redactions.length ? { redactions } : {}) };
}

/**
 * Workspace files that `brief` is about, best first: BM25 over each file's start (path and file
 * name weighted as fields, identifiers split, as the knowledge bases rank), tests and fixtures at
 * half weight, files far below the best one (in score, or in the brief's words they have) left out; the root README and manifest always come
 * first, as they say what the project is. A brief in parts (a spec's sections) is ranked part by
 * part, their files taken in turns.
 */
export function gatherWorkspaceContext(root: string, brief: string | string[], opts: ContextOptions = {}): ContextFile[] {
  const maxFiles = opts.maxFiles ?? CONTEXT_LIMITS.maxFiles;
  const excerptBytes = opts.excerptBytes ?? CONTEXT_LIMITS.excerptBytes;
  if (!fs.existsSync(root)) return [];
  const index = new Bm25Index(1.2, 0.75, (text, fields) => (fields ? lexicalTerms(text, fields) : [...terms(text)]));
  const texts = new Map<string, string>();
  const always = rootFiles(root, excerptBytes + SECRET_SLACK_BYTES);
  for (const rel of listWorkspace(root, { limit: CONTEXT_LIMITS.scanFiles }).files) {
    const base = path.basename(rel);
    if (!TEXT_EXT.test(base) || isGenerated(rel) || always.some((f) => f.path === rel)) continue;
    const text = readStart(path.join(root, rel), Math.max(CONTEXT_LIMITS.scoreBytes, excerptBytes + SECRET_SLACK_BYTES));
    if (text === undefined || shownAlready(text.slice(0, SHOWN_SAMPLE_CHARS), opts.shown)) continue;
    texts.set(rel, text);
    index.add(rel, text, { path: rel, language: '', kind: 'lines', startLine: 1, endLine: 1, hash: '' });
  }
  const room = Math.max(0, maxFiles - always.length);
  // A word no file has weighs as much as one that a single file has (in a small workspace a missing
  // word would otherwise outweigh several present ones many times over).
  const rarest = Math.log(1 + (index.size - 0.5) / 1.5);
  // A file's terms, analysed once however many parts ask.
  const fileTerms = new Map<string, Set<string>>();
  const termsOf = (rel: string): Set<string> => {
    let have = fileTerms.get(rel);
    if (!have) fileTerms.set(rel, (have = new Set(lexicalTerms(texts.get(rel)!, { path: rel }))));
    return have;
  };
  // The files one query is about, best first.
  const about = (query: string): { path: string; score: number; share: number }[] => {
    const wanted = terms(query);
    const ranked = wanted.size
      ? index
          .search(query, index.size)
          .map((h) => ({ path: h.id, score: isTestPath(h.id) ? h.score * TEST_PRIOR : h.score }))
          .sort((a, b) => b.score - a.score || a.path.localeCompare(b.path))
      : [];
    // Kept: files near the best one in score and in how many of the query's words they have (a
    // single shared word is not enough where the best file has several), that hold enough of what
    // the query says (WORDS_COVERAGE).
    const floor = (ranked[0]?.score ?? 0) * RELATIVE_FLOOR;
    const weighed = (words: string[]): number => words.reduce((n, t) => n + Math.min(index.idf(t), rarest), 0);
    const total = weighed([...wanted]);
    const need = Math.min(total * WORDS_COVERAGE.share, WORDS_COVERAGE.enough);
    const has = (rel: string): string[] => [...wanted].filter((t) => termsOf(rel).has(t));
    const near = ranked
      .filter((h) => h.score > 0 && h.score >= floor)
      .map((h) => ({ ...h, words: has(h.path) }))
      .filter((h) => weighed(h.words) >= need)
      .slice(0, maxFiles)
      .map(({ words, ...h }) => ({ ...h, matched: words.length, share: weighed(words) / total }));
    const most = Math.max(0, ...near.map((h) => h.matched));
    return near.filter((h) => h.matched * 2 >= most).map(({ matched: _, ...h }) => h);
  };
  // A query in parts (a spec's sections): each part's files, taken in turns, a part's weaker files last.
  const chosen = typeof brief === 'string' ? about(brief) : interleaveByStrength(brief.map(about), (h) => h.path, (h) => h.share, PART_TURN_SHARE);
  return [...always, ...chosen.slice(0, room).map((h) => ({ ...h, excerpt: texts.get(h.path)! }))].slice(0, maxFiles).map((f) => redactedExcerpt(f, excerptBytes));
}

/**
 * Below these, a piece found by meaning is not about the query: MiniLM's cosine under `min`, or
 * under `relative` of the best piece's, that floor never above `cap` (a file that quotes the brief,
 * an old SPECS.md, scores 0.7–0.9 and would otherwise floor out the code). Measured on
 * bench:rag-quality's npm tasks: the wanted module's best piece scored 0.22–0.70 (most above 0.3);
 * briefs about unrelated systems (a support assistant, fraud detection, ticket routing) scored at
 * most 0.20 against the same code. Prose (Markdown, text) scores higher against anything: on
 * bench:rag-quality's docs questions the wanted section's best piece scored 0.35–0.71 (tenth
 * percentile 0.44), six briefs about unrelated systems up to 0.27 against the same docs, so a prose
 * piece's floor is `minProse`. The bench's "context floors" rows print these figures.
 */
export const CONTEXT_SIMILARITY = { min: 0.22, minProse: 0.3, relative: 0.5, cap: 0.3 } as const;
/** Files read as prose for `CONTEXT_SIMILARITY.minProse`. */
const PROSE_FILE = /\.(md|mdx|markdown|rst|txt|adoc|asciidoc)$/i;
/** Between two pieces of one file in its excerpt. */
const PIECE_GAP = '\n…\n';
/** Two pieces of a file this many blank lines apart (the chunker leaves them between definitions) are shown as one. */
const BLANK_GAP_LINES = 3;
/** A file read to see whether the lines between two of its pieces are blank: at most this big. */
const GAP_READ_BYTES = 512 * 1024;

/** Whether lines `from`..`to` (1-based) of the workspace file are all blank; the file is read once, on first ask. */
function blankLines(root: string, rel: string): (from: number, to: number) => boolean {
  let lines: string[] | null | undefined;
  return (from, to) => {
    if (to - from + 1 > BLANK_GAP_LINES) return false;
    if (lines === undefined) {
      const text = readText(path.join(root, rel), GAP_READ_BYTES).text;
      lines = text === null ? null : text.split('\n');
    }
    if (!lines) return false;
    for (let i = from; i <= to; i++) if (lines[i - 1] === undefined || lines[i - 1]!.trim() !== '') return false;
    return true;
  };
}

/** The pieces of one list that are about its query: `CONTEXT_SIMILARITY`'s floors, against that list's best. */
function aboutQuery(pieces: ContextPiece[]): ContextPiece[] {
  const best = Math.max(-1, ...pieces.map((p) => p.similarity));
  const relative = Math.min(best * CONTEXT_SIMILARITY.relative, CONTEXT_SIMILARITY.cap);
  return pieces.filter((p) => p.similarity >= Math.max(PROSE_FILE.test(p.path) ? CONTEXT_SIMILARITY.minProse : CONTEXT_SIMILARITY.min, relative));
}

/**
 * In a query of parts, a part's files after its best take their turns only while they score at
 * least this share of the best file any part found (by meaning: its best piece's similarity; by
 * words: the share of the part's words it holds, weighed by IDF); weaker ones come after every
 * part's stronger ones (`interleaveByStrength`). A spec's overview or background matches the code
 * loosely, and without this took a file of every round: on bench:rag-quality's three-part specs
 * (after an overview that names no module) the wanted modules shown go from .658 to .758 by
 * meaning (.700 at 0.6, .750 at 0.8) and from .667 to .742 by words (.708 at 0.6, .675 at 0.8).
 */
const PART_TURN_SHARE = 0.7;

/**
 * Several ranked lists (a spec's parts, each searched on its own) as one: each floored against its
 * own best, then their files taken in turns (`interleave`: every part's best file, then every
 * part's second, …; a file's place in a list is that of its first piece), so no part's best file
 * waits behind another's second; files much weaker than the best any part found wait until the
 * turns are over (`PART_TURN_SHARE`). Returned as pieces, a file's pieces together (all the parts
 * found of it, the most similar copy of each), files in that order.
 */
function fuseParts(lists: ContextPiece[][]): ContextPiece[] {
  const pieces = new Map<string, Map<number, ContextPiece>>();
  // Each part's files in the order of their first piece in that part's ranking, with their best piece's similarity.
  const fileLists = lists.map((list) => {
    const files: { path: string; similarity: number }[] = [];
    for (const p of aboutQuery(list)) {
      if (!pieces.has(p.path)) pieces.set(p.path, new Map());
      const had = pieces.get(p.path)!.get(p.startLine);
      if (!had || p.similarity > had.similarity) pieces.get(p.path)!.set(p.startLine, p);
      const file = files.find((f) => f.path === p.path);
      if (!file) files.push({ path: p.path, similarity: p.similarity });
      else file.similarity = Math.max(file.similarity, p.similarity);
    }
    return files;
  });
  const files = interleaveByStrength(fileLists, (f) => f.path, (f) => f.similarity, PART_TURN_SHARE);
  return files.flatMap((f) => [...pieces.get(f.path)!.values()].sort((a, b) => b.similarity - a.similarity));
}

/** A piece cut to fit its file's room is shown only if at least this many of its lines fit. */
const MIN_CUT_LINES = 3;
/** What joining a piece to the one before costs at most: the gap mark, or the blank lines kept. */
const JOINT_MAX = Math.max(PIECE_GAP.length, 1 + BLANK_GAP_LINES);

interface ShownPiece {
  startLine: number;
  /** Redacted, maybe cut at a line. */
  lines: string[];
  /** Lines relative to the piece's start. */
  redactions: Redaction[];
}

/**
 * One file's excerpt from its pieces: the most similar first while they fit in `excerptBytes` (one
 * that does not fit is cut at a line if at least `MIN_CUT_LINES` of it fit, and a smaller one may
 * still follow), then shown in line order: pieces that overlap without their repeated lines, pieces
 * that follow on (or after a few blank lines) as one range.
 */
function pieceExcerpt(root: string, rel: string, found: ContextPiece[], excerptBytes: number): ContextFile {
  const chosen: ShownPiece[] = [];
  let room = excerptBytes;
  for (const p of [...found].sort((a, b) => b.similarity - a.similarity)) {
    const cost = chosen.length ? JOINT_MAX : 0;
    if (room - cost <= 0) break;
    const clean = redactSecrets(p.text, rel);
    let text = clean.text;
    if (cost + text.length > room) {
      text = text.slice(0, text.lastIndexOf('\n', room - cost) + 1 || room - cost).trimEnd();
      if (text.split('\n').length < MIN_CUT_LINES && chosen.length) continue;
      if (!text) continue;
    }
    const lines = text.split('\n');
    chosen.push({ startLine: p.startLine, lines, redactions: clean.redactions.filter((r) => r.line <= lines.length) });
    room -= cost + text.length;
  }
  const parts: string[] = [];
  const ranges: [number, number][] = [];
  const redactions: Redaction[] = [];
  const blank = blankLines(root, rel);
  for (const piece of chosen.sort((a, b) => a.startLine - b.startLine)) {
    const last = ranges[ranges.length - 1];
    // Lines the piece before has shown already are not shown twice.
    const seen = last === undefined ? 0 : Math.max(0, last[1] - piece.startLine + 1);
    if (seen >= piece.lines.length) continue;
    const startLine = piece.startLine + seen;
    const text = piece.lines.slice(seen).join('\n');
    redactions.push(...piece.redactions.filter((r) => r.line > seen).map((r) => ({ ...r, line: piece.startLine + r.line - 1 })));
    const end = piece.startLine + piece.lines.length - 1;
    // Continues the piece before, or follows it after blank lines only: shown as one, blank lines kept.
    const gap = last === undefined ? -1 : startLine - last[1] - 1;
    if (last !== undefined && (gap === 0 || (gap > 0 && blank(last[1] + 1, startLine - 1)))) {
      parts[parts.length - 1] += `\n${'\n'.repeat(gap)}${text}`;
      last[1] = end;
    } else {
      parts.push(text);
      ranges.push([startLine, end]);
    }
  }
  const score = Math.round(Math.max(...found.map((p) => p.similarity)) * 1000) / 1000;
  return { path: rel, score, excerpt: parts.join(PIECE_GAP), lines: ranges, ...(redactions.length ? { redactions } : {}) };
}

/**
 * The workspace context from pieces a search ranked by meaning (best first; or one such list for
 * each part of a spec, fused by `fuseParts`): the root README and manifest first, then the files of
 * the pieces that are about the query (`CONTEXT_SIMILARITY`), in the order of their best piece,
 * each shown as its matching pieces (`pieceExcerpt`: the most similar that fit in `excerptBytes`,
 * in line order). On bench:rag-quality's npm tasks the wanted module is among the first five files
 * for 93% of tasks this way, 81% by `gatherWorkspaceContext`'s BM25 over file starts.
 */
export function contextFromPieces(root: string, found: ContextPiece[] | ContextPiece[][], opts: ContextOptions = {}): ContextFile[] {
  const maxFiles = opts.maxFiles ?? CONTEXT_LIMITS.maxFiles;
  const excerptBytes = opts.excerptBytes ?? CONTEXT_LIMITS.excerptBytes;
  const always = rootFiles(root, excerptBytes + SECRET_SLACK_BYTES).map((f) => redactedExcerpt(f, excerptBytes));
  const lists = (found.length && Array.isArray(found[0]) ? (found as ContextPiece[][]) : [found as ContextPiece[]]).map((l) => l.filter((p) => !shownAlready(p.text, opts.shown)));
  const pieces = lists.length === 1 ? aboutQuery(lists[0]!) : fuseParts(lists);
  const byFile = new Map<string, ContextPiece[]>();
  for (const p of pieces) {
    if (always.some((f) => f.path === p.path)) continue;
    byFile.set(p.path, [...(byFile.get(p.path) ?? []), p]);
  }
  const files = [...byFile].slice(0, Math.max(0, maxFiles - always.length)).map(([rel, found]) => pieceExcerpt(root, rel, found, excerptBytes));
  return [...always, ...files];
}

/** Every credential removed while gathering `ctx`. */
export function contextRedactions(ctx: DesignContext): Redaction[] {
  return [...ctx.files, ...ctx.kb].flatMap((x) => x.redactions ?? []);
}

/** A context file's heading: `### path (lines 12-40, 88)`, or `### path (<unranged>)` for a file shown from its start. */
export function contextHeading(f: ContextFile, unranged?: string): string {
  if (f.lines?.length) return `### ${f.path} (lines ${f.lines.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ')})`;
  return unranged ? `### ${f.path} (${unranged})` : `### ${f.path}`;
}

/** The context as prompt text, at most `CONTEXT_LIMITS.renderedChars` characters. */
export function renderContext(ctx: DesignContext, maxChars: number = CONTEXT_LIMITS.renderedChars): string {
  const parts: string[] = [];
  if (ctx.files.length) {
    parts.push('## Workspace files');
    for (const f of ctx.files) parts.push(`${contextHeading(f)}\n\`\`\`\n${f.excerpt}\n\`\`\``);
  }
  if (ctx.kb.length) {
    parts.push('## Knowledge base');
    for (const k of ctx.kb) {
      const lines = k.startLine ? `:${k.startLine}-${k.endLine ?? k.startLine}` : '';
      parts.push(`### ${k.path}${lines}\n\`\`\`\n${k.text}\n\`\`\``);
    }
  }
  if (!parts.length) return '(The workspace is empty and no knowledge base was given.)';
  const text = parts.join('\n\n');
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}\n… [context cut at ${maxChars} characters]`;
}

/**
 * The rendered context cut to at most about `maxChars` so that the prompt fits the model's
 * window: every file and snippet keeps its heading and as much of its start as an even share
 * allows (short ones stay whole and leave their share to the rest), each cut one marked. The text
 * as it is when it already fits.
 */
export function fitContext(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const blocks = text.split(/\n\n(?=#{2,3} )/);
  const caps = new Array<number>(blocks.length).fill(0);
  let left = Math.max(0, maxChars - 2 * (blocks.length - 1));
  let open = blocks.map((_, i) => i);
  // Water-filling: blocks under an even share keep all of it; what they leave goes to the rest.
  while (open.length) {
    const share = Math.floor(left / open.length);
    const small = open.filter((i) => blocks[i]!.length <= share);
    if (!small.length) {
      for (const i of open) caps[i] = share;
      break;
    }
    for (const i of small) {
      caps[i] = blocks[i]!.length;
      left -= blocks[i]!.length;
    }
    open = open.filter((i) => !small.includes(i));
  }
  const marker = '\n… [cut to fit the model’s context window]';
  return blocks
    .map((b, i) => {
      if (b.length <= caps[i]!) return b;
      const fenced = /^#{2,3} [^\n]*\n```/.test(b);
      const room = Math.max(0, caps[i]! - marker.length - (fenced ? 4 : 0));
      const heading = b.slice(0, b.indexOf('\n') + 1 || b.length);
      return `${b.slice(0, Math.max(room, heading.length))}${marker}${fenced ? '\n```' : ''}`;
    })
    .join('\n\n');
}
