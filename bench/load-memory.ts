/**
 * Where a worker process's memory is (bench:load): resident memory from /proc, split into anonymous
 * (heaps) and file-backed (code of node and the native modules), and the V8 heaps of the main
 * thread and of the workflow thread from a Node diagnostic report (the worker runs with
 * --report-on-signal, see `reportFlags`).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface Memory {
  rss: number;
  peak: number;
  anon: number;
  file: number;
}

/** Current and peak resident memory of a process and its anonymous / file-backed parts, in MB. */
export function memory(pid: number): Memory {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]) / 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/** NODE_OPTIONS that make a process write a compact diagnostic report into `dir` on SIGWINCH (not SIGUSR2: Temporal's runtime shuts the worker down on that). */
export function reportFlags(dir: string): string {
  return `--report-on-signal --report-signal=SIGWINCH --report-compact --report-directory=${dir}`;
}

export interface Heaps {
  /** V8 heap of the main thread (activities, the SDK, the Rust bridge's JS side), MB. */
  main: number;
  /** New-space part of it (the young generation), MB. */
  mainYoung: number;
  /** V8 heaps of the worker threads (the workflow sandbox), MB. */
  threads: number[];
  /** The live part of those heaps (used, not merely reserved), MB. */
  threadsUsed: number[];
}

/** Asks the process for a diagnostic report and reads its V8 heap figures (undefined if none came). */
export async function heaps(pid: number, dir: string): Promise<Heaps | undefined> {
  const before = new Set(fs.readdirSync(dir));
  process.kill(pid, 'SIGWINCH');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const file = fs.readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.json'));
    if (!file) continue;
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Report;
      const mb = (n: number): number => n / 1024 / 1024;
      return {
        main: mb(r.javascriptHeap.totalMemory),
        mainYoung: mb(r.javascriptHeap.heapSpaces.new_space?.memorySize ?? 0),
        threads: (r.workers ?? []).map((w) => mb(w.javascriptHeap?.totalMemory ?? 0)),
        threadsUsed: (r.workers ?? []).map((w) => mb(w.javascriptHeap?.usedMemory ?? 0)),
      };
    } catch {
      // still being written
    }
  }
  return undefined;
}

interface Report {
  javascriptHeap: { totalMemory: number; heapSpaces: Record<string, { memorySize: number }> };
  workers?: { javascriptHeap?: { totalMemory: number; usedMemory: number } }[];
}

const f0 = (n: number): string => n.toFixed(0);

/** One line: RSS = anonymous + file-backed; the V8 heaps. */
export function describeMemory(m: Memory, h: Heaps | undefined): string {
  const v8 = h ? `; V8 heaps: main ${f0(h.main)} MB (young ${f0(h.mainYoung)}), workflow thread ${h.threads.map((t, i) => `${f0(t)} (${f0(h.threadsUsed[i] ?? 0)} used)`).join(' + ') || '?'} MB` : '';
  return `RSS ${f0(m.rss)} MB = anonymous ${f0(m.anon)} + file-backed ${f0(m.file)}${v8}`;
}
