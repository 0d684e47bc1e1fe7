import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Postgres } from './postgres';
import { ClusterError, runAsync, tail, type Log } from './run';
import type { TemporalBuild } from './temporal-build';

/**
 * Temporal's schemas set up by its own SQL tool, a minimal server config (PostgreSQL for
 * persistence and visibility, every service in one process on loopback ports), and the server.
 */

const DATABASES = [
  { db: 'temporal', schema: 'temporal' },
  { db: 'temporal_visibility', schema: 'visibility' },
] as const;

/** create-database, setup-schema -v 0.0, update-schema from the module's versioned folders. */
export async function setupSchemas(build: TemporalBuild, pg: Postgres): Promise<void> {
  const base = ['--plugin', 'postgres12', '--endpoint', '127.0.0.1', '--port', String(pg.port), '--user', pg.user];
  for (const { db, schema } of DATABASES) {
    const tool = (...args: string[]): Promise<string> => runAsync('SCHEMA_SETUP_FAILED', build.sqlTool, [...base, '--db', db, ...args]);
    await tool('create-database');
    await tool('setup-schema', '-v', '0.0');
    await tool('update-schema', '-d', path.join(build.schemaDir, schema, 'versioned'));
  }
}

export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}
export const SERVER_PORT_COUNT = 9;

export function serverPorts(p: number[]): ServerPorts {
  const [frontend, frontendHttp, frontendMembership, history, historyMembership, matching, matchingMembership, worker, workerMembership] = p as [number, number, number, number, number, number, number, number, number];
  return { frontend, frontendHttp, frontendMembership, history, historyMembership, matching, matchingMembership, worker, workerMembership };
}

/** Dynamic config: search attributes usable the moment they are added (a test cluster). */
export const DYNAMIC_CONFIG = {
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
  'limit.maxIDLength': [{ value: 255, constraints: {} }],
};

/** The server's config. YAML is a superset of JSON, so it is written as JSON. */
export function serverConfig(pg: Postgres, ports: ServerPorts, files: { log: string; dynamicConfig: string }): Record<string, unknown> {
  const store = (databaseName: string, maxConns: number): Record<string, unknown> => ({
    sql: { pluginName: 'postgres12', databaseName, connectAddr: `127.0.0.1:${pg.port}`, connectProtocol: 'tcp', user: pg.user, password: '', maxConns, maxIdleConns: maxConns, maxConnLifetime: '1h' },
  });
  const rpc = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({ rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra } });
  return {
    log: { stdout: false, level: 'warn', outputFile: files.log },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: { 'postgres-default': store('temporal', 20), 'postgres-visibility': store('temporal_visibility', 5) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: rpc(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: rpc(ports.history, ports.historyMembership),
      matching: rpc(ports.matching, ports.matchingMembership),
      worker: rpc(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `127.0.0.1:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: files.dynamicConfig, pollInterval: '10s' },
  };
}

export interface TemporalServer {
  address: string;
  logFile: string;
  child: ChildProcess;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (exit handlers). */
  kill(): void;
}

export function startTemporalServer(build: TemporalBuild, pg: Postgres, ports: ServerPorts, dir: string, log: Log): TemporalServer {
  const files = { log: path.join(dir, 'temporal-server.log'), dynamicConfig: path.join(dir, 'dynamic-config.yaml'), config: path.join(dir, 'config.yaml') };
  fs.writeFileSync(files.dynamicConfig, JSON.stringify(DYNAMIC_CONFIG, null, 2));
  fs.writeFileSync(files.config, JSON.stringify(serverConfig(pg, ports, files), null, 2));
  const out = fs.openSync(path.join(dir, 'temporal-server.out'), 'a');
  const child = spawn(build.server, ['--config-file', files.config, '--allow-no-auth', 'start'], { cwd: dir, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  let exitCode: number | string | null = null;
  const exit = new Promise<void>((resolve) => child.once('exit', (code, signal) => ((exitCode = code ?? signal ?? -1), resolve())));
  log(`Temporal server ${build.version} starting on 127.0.0.1:${ports.frontend} (logs: ${files.log})`);
  return {
    address: `127.0.0.1:${ports.frontend}`,
    logFile: files.log,
    child,
    exited: () => exitCode !== null,
    async stop(graceMs = 15_000) {
      if (exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
    kill() {
      if (exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** What the server said before it died: its last errors, one line each, for the error message. */
export function serverOutput(server: TemporalServer): string {
  const read = (f: string): string => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
  const lines = `${read(path.join(path.dirname(server.logFile), 'temporal-server.out'))}\n${read(server.logFile)}`.split('\n').filter((l) => l.trim());
  const brief = lines.map((line) => {
    try {
      const j = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      return `${j.level}: ${j.msg}${j.error ? `: ${j.error}` : ''}`;
    } catch {
      return line;
    }
  });
  return tail(brief.join('\n'), 6);
}

export function serverFailed(server: TemporalServer, what: string): ClusterError {
  return new ClusterError('SERVER_FAILED', `Temporal server ${what}:\n${serverOutput(server)}`);
}
