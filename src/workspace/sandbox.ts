import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CommandResult, CommandStatus, SandboxOptions } from '../agent/tools/types';
import { redactSecrets } from '../security/secrets';
import { writeFileAtomic } from '../storage/files';
import { sha256 } from '../storage/blob-store';
import { OutputCapture } from './output-capture';

export type { CommandResult, SandboxOptions };

/**
 * Runs a shell command in the workspace for the agent and for the check runner: an allow-listed
 * environment (nothing else reaches it, so no API key or token does), no network where the OS
 * allows it (a fresh network namespace via `unshare`, loopback only), a timeout, an output cap
 * that keeps head and tail, and a process-group kill (SIGTERM, then SIGKILL) on timeout or
 * cancel. Optional markers make a run durable: a command is never started twice for one call id.
 */

/** Environment variables a command may see; everything else is dropped. */
const ENV_ALLOW = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TERM', 'TZ', 'TMPDIR', 'TEMP', 'TMP',
  'JAVA_HOME', 'GOROOT', 'GOPATH', 'GOCACHE', 'GOFLAGS', 'CARGO_HOME', 'RUSTUP_HOME', 'VIRTUAL_ENV', 'CONDA_PREFIX',
  'PYTHONPATH', 'NODE_PATH', 'NVM_DIR', 'SYSTEMROOT', 'COMSPEC', 'PATHEXT', 'WINDIR',
];
const ENV_ALLOW_PREFIX = /^LC_/;

export function sandboxEnv(env: NodeJS.ProcessEnv = process.env, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && (ENV_ALLOW.includes(k) || ENV_ALLOW_PREFIX.test(k))) out[k] = v;
  }
  out.CI = '1';
  return { ...out, ...extra };
}

export interface NetworkIsolation {
  /** The command prefix that gives a process its own empty network namespace, or none. */
  prefix: string[];
  /** `isolated`, or why commands run with the host's network. */
  status: string;
}

let detected: NetworkIsolation | undefined;

/** Finds, once per process, how to run a command without network here. */
export function networkIsolation(): NetworkIsolation {
  if (detected) return detected;
  if (process.platform !== 'linux') return (detected = { prefix: [], status: `not isolated: no network sandbox on ${process.platform}` });
  const tries = process.getuid?.() === 0 ? [['unshare', '-n'], ['unshare', '-rn']] : [['unshare', '-rn']];
  for (const prefix of tries) {
    const probe = spawnSync(prefix[0]!, [...prefix.slice(1), 'true'], { stdio: 'ignore', timeout: 5000 });
    if (probe.status === 0) return (detected = { prefix, status: 'isolated' });
  }
  return (detected = { prefix: [], status: 'not isolated: unshare is missing or user namespaces are disabled' });
}

const KILL_GRACE_MS = 2000;

function markerPaths(state: { dir: string; callId: string }): { started: string; finished: string } {
  const safe = /^[A-Za-z0-9_.-]{1,100}$/.test(state.callId) ? state.callId : sha256(state.callId);
  return { started: path.join(state.dir, `${safe}.started`), finished: path.join(state.dir, `${safe}.finished`) };
}

export function commandSummary(r: Pick<CommandResult, 'command' | 'status' | 'exitCode' | 'durationMs'>): string {
  const cmd = r.command.length > 60 ? `${r.command.slice(0, 57)}…` : r.command;
  const outcome = r.status === 'exited' ? `exit ${r.exitCode}` : r.status.replace('_', ' ');
  return `run_command ${cmd} · ${outcome} · ${(r.durationMs / 1000).toFixed(1)} s`;
}

function interrupted(command: string, network: string): CommandResult {
  const base = { command, status: 'interrupted' as const, exitCode: null, durationMs: 0 };
  return {
    ...base,
    signal: null,
    output: 'interrupted: the command was started and the worker stopped; it was not run again',
    outputBytes: 0,
    truncated: false,
    redactions: [],
    network,
    summary: commandSummary(base),
  };
}

export async function runSandboxed(opts: SandboxOptions): Promise<CommandResult> {
  const isolation = opts.network === 'allow' ? { prefix: [], status: 'not isolated: network allowed by the caller' } : networkIsolation();
  const markers = opts.state ? markerPaths(opts.state) : undefined;
  if (markers) {
    if (fs.existsSync(markers.finished)) return JSON.parse(fs.readFileSync(markers.finished, 'utf8')) as CommandResult;
    if (fs.existsSync(markers.started)) return interrupted(opts.command, isolation.status);
    writeFileAtomic(markers.started, JSON.stringify({ command: opts.command, startedAt: new Date().toISOString() }));
  }
  const result = await spawnAndWait(opts, isolation);
  if (markers) writeFileAtomic(markers.finished, JSON.stringify(result));
  return result;
}

function spawnAndWait(opts: SandboxOptions, isolation: NetworkIsolation): Promise<CommandResult> {
  const started = Date.now();
  // In a fresh namespace the loopback device starts down; bring it up so local test servers work.
  const [file, args] = isolation.prefix.length
    ? [isolation.prefix[0]!, [...isolation.prefix.slice(1), '/bin/sh', '-c', 'ip link set lo up >/dev/null 2>&1; exec /bin/sh -c "$1"', 'aiml-sandbox', opts.command]]
    : ['/bin/sh', ['-c', opts.command]];
  const capture = new OutputCapture(opts.maxOutputChars ?? 30_000);
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.workspace,
      env: sandboxEnv(process.env, opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a kill reaches the whole tree
    });
    const onData = (b: Buffer): void => {
      capture.add(b);
      opts.onOutput?.(capture.bytes);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let stopped: CommandStatus | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* already gone */
      }
    };
    const stop = (why: CommandStatus): void => {
      if (stopped) return;
      stopped = why;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => stop('timed_out'), opts.timeoutMs);
    const onAbort = (): void => stop('cancelled');
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort);
    const cleanup = (): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      cleanup();
      reject(err);
    });
    child.on('close', (code, sig) => {
      cleanup();
      // The group may outlive its leader (a background child): finish it off.
      signalGroup('SIGKILL');
      if (killTimer) clearTimeout(killTimer);
      let text = capture.text();
      if (stopped === 'timed_out') text += `\n[aiml: the command timed out after ${opts.timeoutMs} ms and was killed]`;
      if (stopped === 'cancelled') text += '\n[aiml: the command was cancelled and killed]';
      const redacted = redactSecrets(text, 'command output');
      const base = { command: opts.command, status: stopped ?? ('exited' as const), exitCode: code, durationMs: Date.now() - started };
      resolve({
        ...base,
        signal: sig,
        output: redacted.text,
        outputBytes: capture.bytes,
        truncated: capture.truncated,
        redactions: redacted.redactions,
        network: isolation.status,
        summary: commandSummary(base),
      });
    });
  });
}
