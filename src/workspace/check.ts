import fs from 'node:fs';
import path from 'node:path';
import { runSandboxed } from './sandbox';

/**
 * Runs the project's check command (tests, lint) in the workspace through the sandbox (allow-listed
 * environment, no network where the OS allows it, timeout, process-group kill). Output is kept
 * up to a cap (head and tail), and cut again for the model.
 */

export interface CheckResult {
  command: string;
  passed: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  output: string;
  truncated: boolean;
}

/** Head and tail of `text` within `max` characters, with a marker saying what was cut. */
export function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.3);
  const tail = max - head;
  const cut = text.length - head - tail;
  return `${text.slice(0, head)}\n… [${cut} characters cut] …\n${text.slice(text.length - tail)}`;
}

export async function runCheck(opts: { workspace: string; command: string; timeoutMs: number; maxOutputBytes?: number; signal?: AbortSignal }): Promise<CheckResult> {
  const r = await runSandboxed({ workspace: opts.workspace, command: opts.command, timeoutMs: opts.timeoutMs, maxOutputChars: opts.maxOutputBytes ?? 1024 * 1024, signal: opts.signal });
  const timedOut = r.status === 'timed_out';
  return { command: opts.command, passed: r.status === 'exited' && r.exitCode === 0, exitCode: r.exitCode, signal: r.signal, timedOut, durationMs: r.durationMs, output: r.output, truncated: r.truncated };
}

/** The check command a workspace most likely uses, or undefined. */
export function detectCheckCommand(workspace: string): string | undefined {
  const has = (f: string): boolean => fs.existsSync(path.join(workspace, f));
  if (has('package.json')) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(workspace, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
      const test = pkg.scripts?.test;
      if (test && !/no test specified/.test(test)) return 'npm test --silent';
    } catch {
      /* unreadable manifest: fall through */
    }
  }
  if (has('pyproject.toml') || has('pytest.ini') || has('setup.cfg') || has('tests')) return 'python -m pytest -q';
  if (has('go.mod')) return 'go test ./...';
  if (has('Cargo.toml')) return 'cargo test --quiet';
  if (has('Makefile') && /^test:/m.test(fs.readFileSync(path.join(workspace, 'Makefile'), 'utf8'))) return 'make test';
  return undefined;
}
