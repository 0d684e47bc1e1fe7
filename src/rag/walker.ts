import fs from 'node:fs';
import path from 'node:path';
import { AimlError, isAimlError } from '../errors';
import { sha256hex } from './chunk/ids';
import { isGenerated, listWorkspace, type WorkspaceListing } from '../workspace/lister';

export interface ScannedFile {
  path: string; // relative, `/`-separated
  hash: string; // sha256 of the bytes
  bytes: number;
}

export interface ScanResult {
  files: ScannedFile[];
  skipped: { binary: number; oversized: number; unreadable: number; ignored: number; generated: number };
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

/** Reads and hashes the text files the workspace lister finds under `root` (gitignore-aware). */
export function scanDirectory(root: string, opts: ScanOptions = {}): ScanResult {
  const maxBytes = opts.maxFileBytes ?? 1_000_000;
  let listing: WorkspaceListing;
  try {
    listing = listWorkspace(root, { onProgress: opts.onProgress });
  } catch (err) {
    // The knowledge base's own code for a missing folder (the ingest workflow fails on it at once).
    if (isAimlError(err, 'DIR_MISSING')) throw new AimlError('KB_DIR_MISSING', err.message);
    throw err;
  }
  const result: ScanResult = {
    files: [],
    skipped: { binary: 0, oversized: 0, unreadable: listing.unreadable.length, ignored: listing.ignored, generated: 0 },
    unreadablePaths: [...listing.unreadable],
  };
  for (const rel of listing.files) {
    if (isGenerated(rel)) {
      result.skipped.generated += 1;
      continue;
    }
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
  return result;
}
