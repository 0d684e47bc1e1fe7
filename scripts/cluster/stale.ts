import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alive } from '../../src/rag/store/write-lock';
import { stopPostgresAt, type PgBin } from './postgres';
import type { Log } from './run';

/**
 * Clusters whose owner died without stopping them (jest killed by a signal runs neither its
 * teardown nor exit handlers; PostgreSQL runs detached): each cluster folder names its owner and
 * server process, and the next start stops what an owner left behind.
 */
export const CLUSTER_PREFIX = 'aiml-cluster-';
const OWNER_FILE = 'owner.json';

interface Owner {
  pid: number;
  serverPid?: number;
}

export function writeOwner(dir: string, owner: Owner): void {
  fs.writeFileSync(path.join(dir, OWNER_FILE), JSON.stringify(owner));
}

/** A folder kept on purpose (AIML_CLUSTER_KEEP=1) after a clean stop is left alone. */
export function clearOwner(dir: string): void {
  fs.rmSync(path.join(dir, OWNER_FILE), { force: true });
}

/** The command line of a process, or '' when it is gone (Linux /proc). */
function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

export function cleanStaleClusters(pg: PgBin, log: Log): void {
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp).filter((n) => n.startsWith(CLUSTER_PREFIX))) {
    const dir = path.join(tmp, name);
    let owner: Owner;
    try {
      owner = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8')) as Owner;
    } catch {
      continue; // not ours, or still starting
    }
    if (alive(owner.pid)) continue;
    if (owner.serverPid && commandOf(owner.serverPid).includes('temporal-server')) process.kill(owner.serverPid, 'SIGKILL');
    if (fs.existsSync(path.join(dir, 'pg', 'postmaster.pid'))) stopPostgresAt(pg, path.join(dir, 'pg'));
    fs.rmSync(dir, { recursive: true, force: true });
    log(`Stopped a cluster left behind by process ${owner.pid} (${dir})`);
  }
}
