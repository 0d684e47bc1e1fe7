import fs from 'node:fs';
import path from 'node:path';
import { stateDir } from '../../src/paths';
import { ClusterError, runAsync, runOrThrow, type Log } from './run';

/**
 * The Temporal server and its SQL tool, built from the Go module go.temporal.io/server with
 * `go install` into .aiml/tools/cluster/<version>/ (once; later runs find them there), plus the
 * module's PostgreSQL schema folder copied beside them.
 *
 * Pinned to v1.30.8, the newest release that builds here: every v1.31.x needs the module
 * go.temporal.io/auto-scaled-workers, which the Go module proxy refuses (403), and v1.30.9 asks
 * for go 1.26.10 (this machine has 1.26.8). v1.30.8 asks for go 1.25.14: no GOTOOLCHAIN needed.
 */
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
export const TEMPORAL_SERVER_VERSION = 'v1.30.8';

export interface TemporalBuild {
  version: string;
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12 of the same module: temporal/versioned and visibility/versioned. */
  schemaDir: string;
}

export function clusterToolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'tools', 'cluster', TEMPORAL_SERVER_VERSION);
}

function layout(dir: string): TemporalBuild {
  return {
    version: TEMPORAL_SERVER_VERSION,
    server: path.join(dir, 'bin', 'temporal-server'),
    sqlTool: path.join(dir, 'bin', 'temporal-sql-tool'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  };
}

/** True when the folder holds both binaries and the schema, and the server reports our version. */
function complete(build: TemporalBuild): boolean {
  if (![build.server, build.sqlTool, path.join(build.schemaDir, 'temporal', 'versioned')].every((p) => fs.existsSync(p))) return false;
  try {
    return runOrThrow('TEMPORAL_BUILD_FAILED', build.server, ['--version']).includes(TEMPORAL_SERVER_VERSION.slice(1));
  } catch {
    return false;
  }
}

/** Returns the cached build, or builds it (a few minutes the first time: nice -n 10 go install). */
export async function ensureTemporalBuild(log: Log, env: NodeJS.ProcessEnv = process.env): Promise<TemporalBuild> {
  const target = clusterToolsDir(env);
  const cached = layout(target);
  if (complete(cached)) return cached;
  try {
    runOrThrow('GO_MISSING', 'go', ['version'], { env });
  } catch {
    throw new ClusterError('GO_MISSING', `Building the Temporal server needs Go (the go command on PATH): ${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION} is built with go install.`);
  }
  const staging = `${target}.partial-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  const built = layout(staging);
  fs.mkdirSync(path.dirname(built.server), { recursive: true });
  const started = Date.now();
  log(`Building the Temporal server ${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION} with go install (nice -n 10; minutes the first time) ...`);
  const goEnv = { ...env, GOBIN: path.dirname(built.server), GOFLAGS: `${env.GOFLAGS ?? ''} -buildvcs=false`.trim() };
  const pkgs = ['cmd/server', 'cmd/tools/sql'].map((p) => `${TEMPORAL_SERVER_MODULE}/${p}@${TEMPORAL_SERVER_VERSION}`);
  await runAsync('TEMPORAL_BUILD_FAILED', 'nice', ['-n', '10', 'go', 'install', ...pkgs], goEnv);
  fs.renameSync(path.join(path.dirname(built.server), 'server'), built.server);
  fs.renameSync(path.join(path.dirname(built.server), 'sql'), built.sqlTool);
  // The schema comes from the same module version, which go install has just put in the module cache.
  const info = JSON.parse(runOrThrow('TEMPORAL_BUILD_FAILED', 'go', ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`], { env: goEnv })) as { Dir?: string };
  if (!info.Dir) throw new ClusterError('TEMPORAL_BUILD_FAILED', `go mod download gave no folder for ${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`);
  fs.cpSync(path.join(info.Dir, 'schema', 'postgresql', 'v12'), built.schemaDir, { recursive: true });
  for (const f of walk(built.schemaDir)) fs.chmodSync(f, fs.statSync(f).isDirectory() ? 0o755 : 0o644); // the module cache is read-only
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(staging, target);
  log(`Built the Temporal server in ${Math.round((Date.now() - started) / 1000)} s into ${target}`);
  if (!complete(cached)) throw new ClusterError('TEMPORAL_BUILD_FAILED', `${cached.server} --version does not report ${TEMPORAL_SERVER_VERSION}`);
  return cached;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? [p, ...walk(p)] : [p];
  });
}
