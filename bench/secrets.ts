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

const ROOTS = ['src', 'test', 'docs', 'bench', 'node_modules/@temporalio/workflow/src', 'node_modules/@temporalio/client/src'];
const TEXT = /\.(ts|js|json|md|txt|ya?ml)$/;

function textFiles(): { rel: string; text: string }[] {
  const out: { rel: string; text: string }[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (TEXT.test(e.name)) out.push({ rel: path.relative(PROJECT_ROOT, abs), text: fs.readFileSync(abs, 'utf8') });
    }
  };
  for (const r of ROOTS) walk(path.join(PROJECT_ROOT, r));
  out.push({ rel: 'package-lock.json', text: fs.readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8') });
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

function main(): void {
  const files = textFiles();
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
  const mb = bytes / 1e6;
  line('corpus', `${files.length} files, ${mb.toFixed(2)} MB`);
  let findings = 0;
  const scanMs = best(3, () => {
    findings = 0;
    for (const f of files) findings += scanSecrets(f.text, f.rel).length;
  });
  line('scanSecrets, whole files', `${(mb / (scanMs / 1000)).toFixed(1)} MB/s (${scanMs.toFixed(0)} ms; ${findings} findings, all in test fakes)`);
  const redactMs = best(3, () => {
    for (const f of files) redactSecrets(f.text, f.rel);
  });
  line('redactSecrets, whole files', `${(mb / (redactMs / 1000)).toFixed(1)} MB/s (${redactMs.toFixed(0)} ms)`);
  const chunks = files.flatMap((f) => chunkFile(f.rel, f.text));
  const chunkMs = best(3, () => {
    for (const c of chunks) redactSecrets(c.text, c.path);
  });
  line('redactSecrets, per chunk', `${((chunks.length / chunkMs) * 1000).toFixed(0)} chunks/s (${chunks.length} chunks in ${chunkMs.toFixed(0)} ms)`);
}

main();
