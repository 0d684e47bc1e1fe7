import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/paths';
import { chunkFile } from '../src/rag/chunk';
import { redactSecrets, scanSecrets } from '../src/security/secrets';

/**
 * `npm run bench:secrets` — throughput of the credential scanner (secretlint's preset plus the
 * project's own rules) over this repository's text files and the library sources bench:rag
 * ingests, whole files and chunk by chunk (ingest redacts files; retrieval redacts chunks).
 */

const REPO = ['src', 'test', 'docs', 'bench'];
/** What bench:rag ingests. */
const RAG_CORPUS = ['node_modules/@temporalio/workflow/src', 'node_modules/@temporalio/client/src'];
const TEXT = /\.(ts|js|json|md|txt|ya?ml)$/;

function textFiles(roots: string[]): { rel: string; text: string }[] {
  const out: { rel: string; text: string }[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (TEXT.test(e.name)) out.push({ rel: path.relative(PROJECT_ROOT, abs), text: fs.readFileSync(abs, 'utf8') });
    }
  };
  for (const r of roots) walk(path.join(PROJECT_ROOT, r));
  return out;
}

function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(44)} ${value}\n`);
}

/** Best of `rounds` timed passes (the first pass also warms the JIT). */
function best(rounds: number, fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

function measure(label: string, files: { rel: string; text: string }[]): void {
  const mb = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0) / 1e6;
  line(`${label}: corpus`, `${files.length} files, ${mb.toFixed(2)} MB`);
  let findings: string[] = [];
  const scanMs = best(3, () => {
    findings = files.flatMap((f) => scanSecrets(f.text, f.rel).map((s) => `${f.rel}:${s.line} ${s.kind}`));
  });
  line(`${label}: scanSecrets, whole files`, `${(mb / (scanMs / 1000)).toFixed(1)} MB/s (${scanMs.toFixed(0)} ms for all; ${findings.length} findings)`);
  for (const f of findings) line('', `  ${f}`);
  const redactMs = best(3, () => {
    for (const f of files) redactSecrets(f.text, f.rel);
  });
  line(`${label}: redactSecrets, whole files`, `${(mb / (redactMs / 1000)).toFixed(1)} MB/s (${redactMs.toFixed(0)} ms for all, ${(redactMs / files.length).toFixed(2)} ms a file)`);
  const chunks = files.flatMap((f) => chunkFile(f.rel, f.text));
  const chunkMs = best(3, () => {
    for (const c of chunks) redactSecrets(c.text, c.path);
  });
  line(`${label}: redactSecrets, per chunk`, `${((chunks.length / chunkMs) * 1000).toFixed(0)} chunks/s (${chunks.length} chunks in ${chunkMs.toFixed(0)} ms)`);
}

function main(): void {
  const repo = textFiles(REPO);
  repo.push({ rel: 'package-lock.json', text: fs.readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8') });
  measure('this repository', repo);
  // Ingest redacts each file once before chunking: compare the total with bench:rag's ingest time.
  measure('bench:rag corpus', textFiles(RAG_CORPUS));
  // Inputs that make a careless pattern backtrack: every figure should stay near the MB/s above.
  const worst: Record<string, string> = {
    'random base64, one line': crypto.randomBytes(750_000).toString('base64'),
    'one long name run (keykeykey…)': 'key'.repeat(300_000),
    'a_key=a_key=…': 'a_key='.repeat(150_000),
    'PEM headers without bodies': '-----BEGIN PRIVATE KEY-----\n'.repeat(30_000),
    '"token": "…': '"token": "'.repeat(100_000),
  };
  for (const [label, text] of Object.entries(worst)) {
    const ms = best(1, () => redactSecrets(text, 'worst case'));
    line(`worst case: ${label}`, `${(text.length / 1e6 / (ms / 1000)).toFixed(1)} MB/s (${(text.length / 1e6).toFixed(1)} MB)`);
  }
}

main();
