import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { DevServerConfig } from '../config';
import { searchAttributeFlags } from '../contracts/search-attributes';
import { AimlError } from '../errors';

/** `temporal server start-dev` with a persistent sqlite file and the project's search attributes. */
export interface DevServerPlan {
  bin: string;
  args: string[];
  address: string;
  uiUrl: string;
  dbFile: string;
}

export function planDevServer(bin: string, config: DevServerConfig): DevServerPlan {
  const dbFile = path.join(config.stateDir, 'temporal.db');
  const args = [
    'server',
    'start-dev',
    '--ip',
    config.ip,
    '--port',
    String(config.port),
    '--ui-port',
    String(config.uiPort),
    '--db-filename',
    dbFile,
    '--namespace',
    'default',
    '--log-level',
    'warn',
    ...searchAttributeFlags(),
    ...(config.codecEndpoint ? ['--ui-codec-endpoint', config.codecEndpoint] : []),
  ];
  return { bin, args, address: `${config.ip}:${config.port}`, uiUrl: `http://${config.ip}:${config.uiPort}`, dbFile };
}

/** True when something accepts TCP connections at host:port. */
export function portOpen(address: string, timeoutMs = 500): Promise<boolean> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when the frontend at `address` is healthy and serves the `default` namespace. */
export async function namespaceReady(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export interface StartedDevServer {
  plan: DevServerPlan;
  child: ChildProcess;
}

/**
 * Starts the dev server and resolves once its gRPC port answers. `detached` leaves it running
 * after this process exits (its output then goes to `logFile`).
 */
export async function startDevServer(plan: DevServerPlan, opts: { detached?: boolean; logFile?: string; timeoutMs?: number } = {}): Promise<StartedDevServer> {
  if (await portOpen(plan.address)) {
    throw new AimlError('PORT_IN_USE', `Something already listens on ${plan.address}; is a Temporal server running? Use --port to pick another.`);
  }
  fs.mkdirSync(path.dirname(plan.dbFile), { recursive: true });
  let stdio: 'inherit' | ['ignore', number, number] = 'inherit';
  if (opts.logFile) {
    const fd = fs.openSync(opts.logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  const child = spawn(plan.bin, plan.args, { detached: !!opts.detached, stdio });
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  // Ready means the frontend answers for the namespace, not merely that the port is open.
  while (!(await portOpen(plan.address)) || !(await namespaceReady(plan.address))) {
    if (exited !== null) {
      throw new AimlError('DEV_SERVER_FAILED', `temporal server start-dev exited with code ${exited}${opts.logFile ? `; see ${opts.logFile}` : ''}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new AimlError('DEV_SERVER_FAILED', `temporal server start-dev did not open ${plan.address} within ${(opts.timeoutMs ?? 30_000) / 1000}s`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  if (opts.detached) child.unref();
  return { plan, child };
}
