import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { temporalAddress } from './env';

const ROOT = path.resolve(__dirname, '..', '..');
const TSX = ['--import', 'tsx'];

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
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready in time:\n${out}`)), readyTimeoutMs);
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

/** Runs the `aiml` CLI from source in a child process (async: the test's own servers keep serving). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...TSX, path.join(ROOT, 'src', 'client.ts'), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
