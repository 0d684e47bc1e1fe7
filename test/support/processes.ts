import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { temporalAddress } from './env';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = ['--import', 'tsx'];

/**
 * Every child process this module started that has not exited yet. A test that fails or times out
 * never reaches its own cleanup, so the children are SIGKILLed in `afterAll` (which jest runs after a
 * failed or timed-out test too) and, as a last resort, when this process exits.
 */
const live = new Set<ChildProcess>();

/** SIGKILLs every child still running and waits for them to go (at most 5 s each). */
export async function killChildren(): Promise<void> {
  await Promise.all(
    [...live].map(async (child) => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
      live.delete(child);
    }),
  );
}

if (typeof afterAll === 'function') afterAll(killChildren); // inside jest: after every test file that imports this
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** `spawn`, with the child tracked until it exits (see `live`). */
function tracked(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): ChildProcess {
  const child = spawn(process.execPath, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Environment for an aiml process talking to the suite's dev server and the scripted LLM. */
export function aimlEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TEMPORAL_ADDRESS: temporalAddress(), AIML_LOG_LEVEL: 'WARN' };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  /** SIGKILL: no shutdown, no goodbyes. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real `aiml worker` in its own process (so it can be SIGKILLed), ready once it polls. From
 * source by default; `compiled` runs dist/worker.js as users do (needs `npm run build`).
 */
export async function spawnWorker(env: NodeJS.ProcessEnv, readyTimeoutMs = 60_000, opts: { compiled?: boolean } = {}): Promise<WorkerProcess> {
  const args = opts.compiled ? [path.join(ROOT, 'dist', 'worker.js')] : [...TSX, path.join(ROOT, 'src', 'worker.ts')];
  const child = tracked(args, { cwd: ROOT, env });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker not ready in time:\n${out}`));
    }, readyTimeoutMs);
    const check = (): void => {
      if (out.includes('aiml worker: task queue')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code (-1 for a signal). */
  exited: Promise<number>;
}

/** Starts the `aiml` CLI from source in a child process and returns at once (tracked: killed after the file's tests). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): CliProcess {
  const child = tracked([...TSX, path.join(ROOT, 'src', 'client.ts'), ...args], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs the `aiml` CLI from source to its end (async: the test's own servers keep serving); SIGKILLed after 60 s. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<CliResult> {
  const cli = spawnCli(args, env, cwd);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 60_000);
  const code = await cli.exited;
  clearTimeout(timer);
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
