import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { postgresSource } from '../../scripts/cluster/postgres';
import { tmpDir } from '../support/env';

/**
 * `npm run test:cluster` decides run-or-skip with the cluster setup's own PostgreSQL check
 * (postgresSource). Only its `--dry-run` path runs here: the suite itself builds a Temporal server.
 */

const root = path.join(__dirname, '..', '..');

/** scripts/test-cluster.ts with only `bin` on PATH (so `go` is there or not as the test says). */
function testCluster(bin: string, env: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/test-cluster.ts', '--dry-run', '--runInBand'], { cwd: root, encoding: 'utf8', env: { HOME: process.env.HOME ?? '/tmp', PATH: bin, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A folder with an `initdb` in it: what AIML_CLUSTER_PG_BIN names. */
function fakePgBin(): string {
  const dir = tmpDir('aiml-pgbin-');
  fs.writeFileSync(path.join(dir, 'initdb'), '');
  return dir;
}

test('PostgreSQL from AIML_CLUSTER_PG_BIN; a setting with no initdb is a mistake named as such', () => {
  const dir = fakePgBin();
  expect(postgresSource({ AIML_CLUSTER_PG_BIN: dir })).toEqual({ found: { dir, version: 'custom' } });
  expect(() => postgresSource({ AIML_CLUSTER_PG_BIN: '/no/such/pg' })).toThrow('AIML_CLUSTER_PG_BIN=/no/such/pg has no initdb');
});

test('test:cluster: skips without go, refuses a bad AIML_CLUSTER_PG_BIN, and says what it would run', () => {
  const empty = tmpDir('aiml-path-');
  const pg = fakePgBin();
  const noGo = testCluster(empty, { AIML_CLUSTER_PG_BIN: pg });
  expect(noGo).toMatchObject({ code: 0, stdout: 'test:cluster skipped: no `go` on PATH (the Temporal server is built from its Go module).\n' });

  const bad = testCluster(empty, { AIML_CLUSTER_PG_BIN: '/no/such/pg' });
  expect(bad).toEqual({ code: 2, stdout: '', stderr: 'test:cluster: AIML_CLUSTER_PG_BIN=/no/such/pg has no initdb\n' });

  const withGo = tmpDir('aiml-path-');
  fs.writeFileSync(path.join(withGo, 'go'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const ready = testCluster(withGo, { AIML_CLUSTER_PG_BIN: pg });
  expect(ready).toMatchObject({ code: 0, stdout: `test:cluster would run: jest -c jest.cluster.config.js --runInBand, on a Temporal server built with go and PostgreSQL custom (${pg}).\n` });
});
