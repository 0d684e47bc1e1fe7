/**
 * `npm run test:cluster`: the cluster suite (jest.cluster.config.js) on a real Temporal cluster
 * with PostgreSQL, when this machine can host one: `go` to build the server, and PostgreSQL
 * installed or a root user who may install it from Debian's packages. Otherwise it says what is
 * missing and exits 0, so the README's test command works on any fresh machine; CI's machines have
 * both, and there the suite runs for real. Arguments go to jest.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { findPostgres } from './cluster/postgres';

const missing: string[] = [];
if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) missing.push('no `go` on PATH (the Temporal server is built from its Go module)');
if (!findPostgres(process.env) && process.getuid?.() !== 0) missing.push('PostgreSQL is not installed and this user cannot install it (`sudo apt-get install -y postgresql`)');
if (missing.length) {
  process.stdout.write(`test:cluster skipped: ${missing.join('; ')}.\n`);
  process.exit(0);
}
const jest = path.join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js');
const r = spawnSync(process.execPath, [jest, '-c', 'jest.cluster.config.js', ...process.argv.slice(2)], { stdio: 'inherit', cwd: path.join(__dirname, '..') });
process.exit(r.status ?? 1);
