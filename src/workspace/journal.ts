import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../storage/files';

/**
 * The undo journal of one build run: for every applied step attempt, each file's path, its hash
 * before and after and a blob reference to its content before. Stored as one JSON file under the
 * state folder; entries are upserted by key, so a retried apply records nothing twice.
 */

export interface JournalFile {
  path: string;
  beforeHash: string | null;
  afterHash: string | null;
  beforeRef: string | null;
  afterRef: string | null;
}

export interface JournalEntry {
  key: string; // `step-N/attempt-K`
  step: number;
  attempt: number;
  at: string;
  workspace: string;
  files: JournalFile[];
  /** Set when the entry has been undone. */
  revertedAt?: string;
}

export interface JournalData {
  workflowId: string;
  entries: JournalEntry[];
}

export function journalPath(stateDir: string, workflowId: string): string {
  return path.join(stateDir, 'journals', `${workflowId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

export class Journal {
  readonly file: string;

  constructor(stateDir: string, readonly workflowId: string) {
    this.file = journalPath(stateDir, workflowId);
  }

  read(): JournalData {
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8')) as JournalData;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { workflowId: this.workflowId, entries: [] };
      throw err;
    }
  }

  private write(data: JournalData): void {
    writeFileAtomic(this.file, `${JSON.stringify(data, null, 2)}\n`);
  }

  /** Adds or replaces the entry with the same key. */
  upsert(entry: JournalEntry): void {
    const data = this.read();
    const i = data.entries.findIndex((e) => e.key === entry.key);
    if (i >= 0) data.entries[i] = { ...entry, at: data.entries[i]!.at };
    else data.entries.push(entry);
    this.write(data);
  }

  /** Drops the entry with this key (a step whose failed apply was rolled back completely). */
  remove(key: string): void {
    const data = this.read();
    const entries = data.entries.filter((e) => e.key !== key);
    if (entries.length !== data.entries.length) this.write({ ...data, entries });
  }

  markReverted(keys: string[], at: string): void {
    const data = this.read();
    for (const e of data.entries) if (keys.includes(e.key)) e.revertedAt = at;
    this.write(data);
  }
}
