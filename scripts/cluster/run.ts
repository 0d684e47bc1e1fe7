import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import net from 'node:net';

/** Small process and port helpers shared by the cluster scripts. */

export class ClusterError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ClusterError';
  }
}

export type Log = (line: string) => void;

/** The last `n` lines of a command's output, for error messages. */
export function tail(text: string, n = 8): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

/** Runs a command to completion; throws a ClusterError naming it and its output when it fails. */
export function runOrThrow(code: string, cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw new ClusterError(code, `${cmd} could not run: ${r.error.message}`);
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new ClusterError(code, `${[cmd, ...args].join(' ')} exited with ${r.status ?? r.signal}:\n${tail(out)}`);
  return out;
}

/** Like runOrThrow, without blocking the event loop (long builds, installs). */
export function runAsync(code: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', (err) => reject(new ClusterError(code, `${cmd} could not run: ${err.message}`)));
    child.once('exit', (status, signal) => {
      if (status === 0) resolve(out);
      else reject(new ClusterError(code, `${[cmd, ...args].join(' ')} exited with ${status ?? signal}:\n${tail(out)}`));
    });
  });
}

/** True when nothing listens on 127.0.0.1:port right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * `n` distinct TCP ports on 127.0.0.1 that were free a moment ago, all below 32768: Temporal keeps
 * its services' ports in a PostgreSQL smallint column, and the kernel's ephemeral range (where
 * port 0 lands) starts above that.
 */
export async function freePorts(n: number, min = 20000, max = 32767): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > 2000) throw new ClusterError('NO_FREE_PORT', `no ${n} free ports between ${min} and ${max}`);
    const port = min + Math.floor(Math.random() * (max - min + 1));
    if (!ports.includes(port) && (await portFree(port))) ports.push(port);
  }
  return ports;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
