import fs from 'node:fs';
import path from 'node:path';
import { summarizeRedactions, type RedactionSummary } from '../contracts/security';
import { AimlError } from '../errors';
import { writeFileAtomic } from '../storage/files';
import { redactSecrets } from '../security/secrets';
import { Bm25Index } from './bm25';
import { chunkFile, loadSyntax } from './chunk';
import { EmbeddingCache, embedCached } from './embed/cache';
import type { EmbeddingProvider } from './embed/provider';
import type { Refiner } from './refine';
import { FlatStore } from './store/flat-store';
import type { VectorStore } from './store/types';
import type { Chunk } from './types';

/**
 * A knowledge base: a folder under the state dir holding its settings (`kb.json`), the manifest
 * of indexed files (`files.json`: path → file hash and chunk ids) and, for the embedded store,
 * the vectors. The lexical index is rebuilt in memory from the stored chunks when first needed.
 */
export interface KbSettings {
  name: string;
  root: string;
  model: string;
  dims: number;
  store: 'embedded' | 'qdrant';
  createdAt: string;
  /**
   * Found in the shared Qdrant, indexed by another host: searchable here, synced there (this host
   * has neither its folder nor its manifest; `root` is empty). Never saved.
   */
  shared?: true;
}

export interface FileEntry {
  hash: string;
  ids: string[];
}

export interface IndexReport {
  files: number;
  chunks: number;
  embedded: number; // chunks sent to the model
  cached: number; // chunks whose vectors came from the cache
  unchangedChunks: number; // already stored under the same id
  /** Credentials removed before chunking (rules and places, never values). */
  redactions?: RedactionSummary;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Refuses `asked` (a folder) for knowledge base `name` when it indexes another folder (`indexes` undefined: none known here, nothing refused). */
export function checkKbRoot(name: string, indexes: string | undefined, asked: string): void {
  if (indexes !== undefined && path.resolve(asked) !== indexes) {
    throw new AimlError('KB_ROOT_MISMATCH', `Knowledge base "${name}" indexes ${indexes}, not ${path.resolve(asked)}; choose another --kb name`);
  }
}

export function validateKbName(name: string): string {
  if (!NAME.test(name)) {
    throw new AimlError('INPUT_INVALID', `"${name}" is not a valid knowledge-base name (letters, digits, . _ -, at most 64, no leading punctuation)`);
  }
  return name;
}

/** Identity of a file's current version: a rename gives a new inode, a write a new size or time. */
function stampOf(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value));
}

export class KnowledgeBase {
  private lexicalIndex?: Bm25Index;
  private manifestStamp: string;

  constructor(
    readonly settings: KbSettings,
    readonly dir: string,
    readonly manifest: Map<string, FileEntry>,
    readonly store: VectorStore,
    readonly embedder: EmbeddingProvider,
    readonly cache: EmbeddingCache,
    /** The stronger model that scores search's top candidates again (a static model's teacher), if any. */
    readonly refiner?: Refiner,
  ) {
    this.manifestStamp = stampOf(path.join(dir, 'files.json'));
  }

  static readSettings(dir: string): KbSettings | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, 'kb.json'), 'utf8')) as KbSettings;
    } catch {
      return undefined;
    }
  }

  static readManifest(dir: string): Map<string, FileEntry> {
    try {
      return new Map(Object.entries(JSON.parse(fs.readFileSync(path.join(dir, 'files.json'), 'utf8')) as Record<string, FileEntry>));
    } catch {
      return new Map();
    }
  }

  saveSettings(): void {
    writeJsonAtomic(path.join(this.dir, 'kb.json'), this.settings);
  }

  saveManifest(): void {
    const file = path.join(this.dir, 'files.json');
    writeJsonAtomic(file, Object.fromEntries(this.manifest));
    this.manifestStamp = stampOf(file);
  }

  /**
   * Catches up with writes by another process (a second worker may have run the last batch):
   * re-reads the manifest and the embedded store when their files changed, and drops the
   * lexical index so it is rebuilt from what is stored now.
   */
  refresh(): void {
    let changed = false;
    const stamp = stampOf(path.join(this.dir, 'files.json'));
    if (stamp !== this.manifestStamp) {
      this.manifest.clear();
      for (const [k, v] of KnowledgeBase.readManifest(this.dir)) this.manifest.set(k, v);
      this.manifestStamp = stamp;
      changed = true;
    }
    if (this.store instanceof FlatStore && this.store.refresh()) changed = true;
    if (changed) this.lexicalIndex = undefined;
  }

  /** The BM25 index over every stored chunk, built on first use and kept in step by index/remove. */
  async lexical(): Promise<Bm25Index> {
    if (!this.lexicalIndex) {
      const idx = new Bm25Index();
      for await (const d of this.store.documents()) idx.add(d.id, d.text, d.meta);
      this.lexicalIndex = idx;
    }
    return this.lexicalIndex;
  }

  /**
   * (Re)indexes files given by path and content hash: chunks them, embeds the chunks not already
   * stored (through the cache), upserts, removes the file's chunks that are gone, and records
   * the new hash. Idempotent: running it twice stores the same points.
   */
  async indexFiles(files: { path: string; hash: string }[], signal?: AbortSignal): Promise<IndexReport> {
    const report: IndexReport = { files: 0, chunks: 0, embedded: 0, cached: 0, unchangedChunks: 0 };
    const chunksByFile = new Map<string, Chunk[]>();
    await loadSyntax();
    for (const f of files) {
      let text: string;
      try {
        text = fs.readFileSync(path.join(this.settings.root, f.path), 'utf8');
      } catch {
        continue; // gone or unreadable since the scan: the next sync deals with it
      }
      // Redacted before chunking: a credential split across two chunks is still seen whole.
      const clean = redactSecrets(text, f.path);
      report.redactions = summarizeRedactions(clean.redactions, report.redactions);
      chunksByFile.set(f.path, chunkFile(f.path, clean.text));
    }
    const fresh: Chunk[] = [];
    for (const [file, chunks] of chunksByFile) {
      const before = new Set(this.manifest.get(file)?.ids ?? []);
      for (const c of chunks) {
        if (before.has(c.id)) report.unchangedChunks += 1;
        else fresh.push(c);
      }
    }
    const { vectors, cached } = await embedCached(this.embedder, this.cache, fresh.map(embeddingText), signal);
    report.cached = cached;
    report.embedded = fresh.length - cached;
    if (fresh.length) {
      await this.store.upsert(fresh.map((c, i) => ({ id: c.id, vector: vectors[i]!, meta: metaOf(c), text: c.text })));
    }
    const lexical = this.lexicalIndex;
    for (const c of fresh) lexical?.add(c.id, c.text, metaOf(c));
    for (const f of files) {
      const chunks = chunksByFile.get(f.path);
      if (!chunks) continue;
      const keep = new Set(chunks.map((c) => c.id));
      const stale = (this.manifest.get(f.path)?.ids ?? []).filter((id) => !keep.has(id));
      if (stale.length) await this.store.delete(stale);
      for (const id of stale) lexical?.remove(id);
      this.manifest.set(f.path, { hash: f.hash, ids: [...keep] });
      report.files += 1;
      report.chunks += chunks.length;
    }
    this.saveManifest();
    return report;
  }

  /** Removes every chunk of these files and forgets them. Returns the number of chunks removed. */
  async removeFiles(paths: string[]): Promise<number> {
    const ids = paths.flatMap((p) => this.manifest.get(p)?.ids ?? []);
    if (ids.length) await this.store.delete(ids);
    for (const id of ids) this.lexicalIndex?.remove(id);
    for (const p of paths) this.manifest.delete(p);
    this.saveManifest();
    return ids.length;
  }

  async stats(): Promise<{ name: string; root: string; model: string; dims: number; store: string; files: number; chunks: number; refinedBy?: string }> {
    const s = this.settings;
    const refined = this.refiner ? { refinedBy: this.refiner.id } : {};
    return { name: s.name, root: s.root, model: s.model, dims: s.dims, store: s.store, files: this.manifest.size, chunks: await this.store.count(), ...refined };
  }

  async close(): Promise<void> {
    await this.store.close();
    this.cache.close();
  }
}

/**
 * What the model sees for a chunk: its symbol in words and its path, then the text. Names carry
 * much of code's meaning ("startChild" → "start child"), and the text may be cut at the model's
 * token limit.
 */
export function embeddingText(c: Chunk): string {
  const words = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[._/-]+/g, ' ').toLowerCase();
  return `${c.symbol ? `${words(c.symbol)} — ` : ''}${words(c.path.replace(/\.\w+$/, ''))}\n${c.text}`;
}

function metaOf(c: Chunk) {
  return { path: c.path, language: c.language, symbol: c.symbol, kind: c.kind, startLine: c.startLine, endLine: c.endLine, hash: c.hash };
}
