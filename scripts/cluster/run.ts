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

/** `n` distinct TCP ports on 127.0.0.1 that were free a moment ago. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
