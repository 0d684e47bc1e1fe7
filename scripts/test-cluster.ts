/**
 * `npm run test:cluster`: the cluster suite (jest.cluster.config.js) on a real Temporal cluster
 * with PostgreSQL, when this machine can host one: `go` to build the server, and PostgreSQL
 * installed or a root user who may install it from Debian's packages (postgresSource decides, as
 * for the cluster's own setup). Otherwise it says what is missing and exits 0, so the README's test
 * command works on any fresh machine; CI's machines have both, and there the suite runs for real.
 * `--dry-run` says what it would do and exits; other arguments go to jest.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { postgresSource, type PostgresSource } from './cluster/postgres';
import { ClusterError } from './cluster/run';

const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
let pg: PostgresSource;
try {
  pg = postgresSource(process.env);
} catch (err) {
  if (!(err instanceof ClusterError)) throw err;
  process.stderr.write(`test:cluster: ${err.message}\n`); // a setting to fix, not a machine to skip
  process.exit(2);
}
const missing: string[] = [];
if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) missing.push('no `go` on PATH (the Temporal server is built from its Go module)');
if ('missing' in pg) missing.push(pg.missing);
if (missing.length) {
  process.stdout.write(`test:cluster skipped: ${missing.join('; ')}.\n`);
  process.exit(0);
}
const jestArgs = ['-c', 'jest.cluster.config.js', ...args.filter((a) => a !== '--dry-run')];
if (dryRun) {
  const source = 'found' in pg ? `PostgreSQL ${pg.found.version} (${pg.found.dir})` : 'PostgreSQL installed first (apt-get install postgresql)';
  process.stdout.write(`test:cluster would run: jest ${jestArgs.join(' ')}, on a Temporal server built with go and ${source}.\n`);
  process.exit(0);
}
const jest = path.join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js');
const r = spawnSync(process.execPath, [jest, ...jestArgs], { stdio: 'inherit', cwd: path.join(__dirname, '..') });
process.exit(r.status ?? 1);
