import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ClusterError, runOrThrow, type Log } from './run';

/**
 * A throwaway PostgreSQL server from Debian's packages: installed when missing (as root), a data
 * folder of its own, loopback only, trust auth, durability off (the cluster is thrown away).
 */

export interface PgBin {
  dir: string;
  version: string;
}

/** The newest server under /usr/lib/postgresql (Debian's layout), or AIML_CLUSTER_PG_BIN. */
export function findPostgres(env: NodeJS.ProcessEnv = process.env): PgBin | undefined {
  if (env.AIML_CLUSTER_PG_BIN) {
    if (!fs.existsSync(path.join(env.AIML_CLUSTER_PG_BIN, 'initdb'))) {
      throw new ClusterError('PG_MISSING', `AIML_CLUSTER_PG_BIN=${env.AIML_CLUSTER_PG_BIN} has no initdb`);
    }
    return { dir: env.AIML_CLUSTER_PG_BIN, version: 'custom' };
  }
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? { dir: path.join(root, newest, 'bin'), version: newest } : undefined;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * Where this machine's PostgreSQL comes from: one installed already, or Debian's package, which
 * root may install; else what is missing and what to do. The one place that decides it, for
 * `npm run test:cluster` (skip or run) and for the cluster's setup (install or not). A set
 * AIML_CLUSTER_PG_BIN without initdb is a mistake, not a missing server: it throws PG_MISSING.
 */
export type PostgresSource = { found: PgBin } | { install: true } | { missing: string };

export function postgresSource(env: NodeJS.ProcessEnv = process.env): PostgresSource {
  const found = findPostgres(env);
  if (found) return { found };
  if (isRoot()) return { install: true };
  return { missing: 'PostgreSQL is not installed and this user cannot install it: run `sudo apt-get install -y postgresql`, or set AIML_CLUSTER_PG_BIN to a folder holding initdb and pg_ctl' };
}

/** Finds PostgreSQL, installing Debian's `postgresql` package first when it is missing. */
export function ensurePostgres(log: Log, env: NodeJS.ProcessEnv = process.env): PgBin {
  const source = postgresSource(env);
  if ('found' in source) return source.found;
  if ('missing' in source) throw new ClusterError('PG_MISSING', `${source.missing}.`);
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): boolean => spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'postgresql'], { env: aptEnv, stdio: 'ignore' }).status === 0;
  log('Installing PostgreSQL (apt-get install postgresql) ...');
  if (!install()) {
    runOrThrow('PG_INSTALL_FAILED', 'apt-get', ['update', '-q'], { env: aptEnv });
    runOrThrow('PG_INSTALL_FAILED', 'apt-get', ['install', '-y', '-q', '--no-install-recommends', 'postgresql'], { env: aptEnv });
  }
  const installed = findPostgres(env);
  if (!installed) throw new ClusterError('PG_INSTALL_FAILED', 'apt-get installed postgresql but no initdb was found under /usr/lib/postgresql');
  return installed;
}

export interface Postgres {
  port: number;
  user: string;
  dataDir: string;
  /** Stops the server at once (synchronous, so it also works from an exit handler). */
  stop(): void;
}

/** Runs a PostgreSQL program as the `postgres` user when we are root (initdb refuses root). */
function asPgUser(bin: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

export function startPostgres(pg: PgBin, dataDir: string, port: number): Postgres {
  const user = 'temporal';
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (isRoot()) {
    const id = (field: string): number => Number(runOrThrow('PG_USER_MISSING', 'id', [field, 'postgres']).trim());
    fs.chownSync(dataDir, id('-u'), id('-g'));
  }
  const run = (bin: string, args: string[]): string => {
    const [cmd, argv] = asPgUser(path.join(pg.dir, bin), args);
    return runOrThrow('PG_START_FAILED', cmd, argv);
  };
  run('initdb', ['-D', dataDir, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const settings = {
    listen_addresses: `'127.0.0.1'`,
    port: String(port),
    unix_socket_directories: `'${dataDir}'`,
    max_connections: '300',
    shared_buffers: '64MB',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
  };
  fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), `\n# aiml throwaway cluster\n${Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`);
  run('pg_ctl', ['-D', dataDir, '-l', path.join(dataDir, 'server.log'), '-w', '-t', '60', 'start']);
  let stopped = false;
  return {
    port,
    user,
    dataDir,
    stop() {
      if (stopped) return;
      stopped = true;
      stopPostgresAt(pg, dataDir);
    },
  };
}

/** `pg_ctl stop -m immediate` on a data folder (the cluster is thrown away: no clean shutdown needed). */
export function stopPostgresAt(pg: PgBin, dataDir: string): void {
  const [cmd, argv] = asPgUser(path.join(pg.dir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
  spawnSync(cmd, argv, { stdio: 'ignore' });
}
