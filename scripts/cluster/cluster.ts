import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareNamespaces } from './namespace';
import { ensurePostgres, startPostgres, type Postgres } from './postgres';
import { freePorts, type Log } from './run';
import { CLUSTER_PREFIX, cleanStaleClusters, clearOwner, writeOwner } from './stale';
import { ensureTemporalBuild } from './temporal-build';
import { SERVER_PORT_COUNT, serverPorts, setupSchemas, startTemporalServer, type TemporalServer } from './temporal-server';

/**
 * A throwaway Temporal cluster: PostgreSQL (Debian's package) and the Temporal server built from
 * its Go module, in a temp folder on free loopback ports. stop() ends both and removes the folder
 * (kept when AIML_CLUSTER_KEEP=1, for reading the logs); an exit handler kills both if the
 * process ends without calling it, and the next start stops what a killed owner left behind.
 */
export interface Cluster {
  address: string;
  namespaces: string[];
  dir: string;
  postgresPort: number;
  serverVersion: string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  namespaces?: string[];
  log?: Log;
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = opts.env ?? process.env;
  const namespaces = opts.namespaces ?? ['default'];
  const pgBin = ensurePostgres(log, env);
  const build = await ensureTemporalBuild(log, env);
  cleanStaleClusters(pgBin, log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), CLUSTER_PREFIX));
  fs.chmodSync(dir, 0o755); // the postgres user must reach its data folder inside
  writeOwner(dir, { pid: process.pid });
  let pg: Postgres | undefined;
  let server: TemporalServer | undefined;
  const onExit = (): void => {
    server?.kill();
    pg?.stop();
  };
  process.once('exit', onExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    await server?.stop();
    pg?.stop();
    if (env.AIML_CLUSTER_KEEP === '1') clearOwner(dir);
    else fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = Date.now();
    const [pgPort, ...ports] = await freePorts(1 + SERVER_PORT_COUNT);
    pg = startPostgres(pgBin, path.join(dir, 'pg'), pgPort!);
    log(`PostgreSQL ${pgBin.version} on 127.0.0.1:${pgPort}`);
    await setupSchemas(build, pg);
    server = startTemporalServer(build, pg, serverPorts(ports), dir, log);
    writeOwner(dir, { pid: process.pid, serverPid: server.child.pid });
    await prepareNamespaces(server, namespaces, opts.readyTimeoutMs ?? 120_000);
    log(`Temporal cluster ready at ${server.address} in ${((Date.now() - started) / 1000).toFixed(1)} s (namespaces: ${namespaces.join(', ')})`);
    return { address: server.address, namespaces, dir, postgresPort: pgPort!, serverVersion: build.version, stop };
  } catch (err) {
    if (env.AIML_CLUSTER_KEEP !== '1') (err as Error).message += `\n(set AIML_CLUSTER_KEEP=1 to keep ${dir} and its logs)`;
    await stop();
    throw err;
  }
}
