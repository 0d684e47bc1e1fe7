import { Worker } from 'node:worker_threads';

/**
 * Runs a regular expression over files in a worker thread, so a catastrophic pattern (one that
 * backtracks for minutes) is stopped at a deadline by terminating the thread: JavaScript cannot
 * interrupt a running regex in its own thread.
 */

export interface GrepJob {
  root: string;
  files: string[];
  source: string;
  flags: string;
  maxHits: number;
  maxLineChars: number;
  maxFileBytes: number;
}

export interface GrepHit {
  path: string;
  line: number;
  text: string;
}

export type GrepOutcome = { ok: true; hits: GrepHit[]; filesSearched: number; moreHits: boolean } | { ok: false; reason: 'timeout' | 'aborted' };

// Plain JavaScript, evaluated in the worker (no TypeScript loader there).
const WORKER_SOURCE = `
const fs = require('node:fs');
const path = require('node:path');
const { parentPort, workerData: job } = require('node:worker_threads');
const re = new RegExp(job.source, job.flags);
const hits = [];
let filesSearched = 0;
let moreHits = false;
outer: for (const rel of job.files) {
  let buf;
  try {
    const abs = path.join(job.root, rel);
    if (fs.statSync(abs).size > job.maxFileBytes) continue;
    buf = fs.readFileSync(abs);
  } catch { continue; }
  if (buf.subarray(0, 8000).includes(0)) continue;
  filesSearched++;
  const lines = buf.toString('utf8').split('\\n');
  for (let i = 0; i < lines.length; i++) {
    re.lastIndex = 0;
    if (!re.test(lines[i])) continue;
    if (hits.length >= job.maxHits) { moreHits = true; break outer; }
    let text = lines[i].replace(/\\r$/, '');
    if (text.length > job.maxLineChars) text = text.slice(0, job.maxLineChars) + ' … [' + (text.length - job.maxLineChars) + ' characters cut]';
    hits.push({ path: rel, line: i + 1, text });
  }
}
parentPort.postMessage({ ok: true, hits, filesSearched, moreHits });
`;

export function grepInWorker(job: GrepJob, timeoutMs: number, signal?: AbortSignal): Promise<GrepOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: job, resourceLimits: { maxOldGenerationSizeMb: 256 } });
    let settled = false;
    const finish = (out: GrepOutcome | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (out instanceof Error) reject(out);
      else resolve(out);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout' }), timeoutMs);
    const onAbort = (): void => finish({ ok: false, reason: 'aborted' });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort);
    worker.once('message', (m: GrepOutcome) => finish(m));
    worker.once('error', (err) => finish(err));
    worker.once('exit', (code) => finish(new Error(`the grep worker exited with code ${code} before answering`)));
  });
}
