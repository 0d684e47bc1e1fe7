import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Redaction } from '../contracts/security';
import { redactSecrets } from '../security/secrets';

/**
 * Runs the project's check command (tests, lint) in the workspace with a timeout and a scrubbed
 * environment: nothing that looks like a credential, nor aiml's own settings, reaches it. Output
 * is kept whole up to a cap, credentials in it redacted, and cut to head and tail for the model.
 */

export interface CheckResult {
  command: string;
  passed: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** Combined stdout and stderr, credentials replaced by `[REDACTED: …]` markers. */
  output: string;
  truncated: boolean;
  redactions: Redaction[];
}

const SECRET_ENV = /(KEY|TOKEN|SECRET|PASSW(OR)?D|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE)/i;
const DROP_PREFIX = /^(AIML_|OPENAI_|ANTHROPIC_|AZURE_OPENAI|TEMPORAL_|AWS_|GOOGLE_APPLICATION|HF_|HUGGING)/i;

export function scrubbedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || SECRET_ENV.test(k) || DROP_PREFIX.test(k)) continue;
    out[k] = v;
  }
  out.CI = out.CI ?? '1';
  return out;
}

/** Head and tail of `text` within `max` characters, with a marker saying what was cut. */
export function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.3);
  const tail = max - head;
  const cut = text.length - head - tail;
  return `${text.slice(0, head)}\n… [${cut} characters cut] …\n${text.slice(text.length - tail)}`;
}

export function runCheck(opts: { workspace: string; command: string; timeoutMs: number; maxOutputBytes?: number; signal?: AbortSignal }): Promise<CheckResult> {
  const maxBytes = opts.maxOutputBytes ?? 1024 * 1024;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', opts.command], {
      cwd: opts.workspace,
      env: scrubbedEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout kills the whole tree
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    const collect = (b: Buffer): void => {
      const room = maxBytes - size;
      if (b.length > room) truncated = true;
      if (room <= 0) return;
      chunks.push(b.subarray(0, room));
      size += Math.min(b.length, room);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const killTree = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killTree();
    }, opts.timeoutMs);
    const onAbort = (): void => killTree();
    opts.signal?.addEventListener('abort', onAbort);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const { text, redactions } = redactSecrets(Buffer.concat(chunks).toString('utf8'), 'check command output');
      let output = text;
      if (timedOut) output += `\n[aiml: the check command timed out after ${opts.timeoutMs} ms and was killed]`;
      resolve({ command: opts.command, passed: code === 0 && !timedOut, exitCode: code, signal: sig, timedOut, durationMs: Date.now() - started, output, truncated, redactions });
    });
  });
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
