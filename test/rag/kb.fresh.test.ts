import fs from 'node:fs';
import path from 'node:path';
import { parseInterval } from '../../src/rag/watch';
import { testClient, tmpDir, waitFor } from '../support/env';
import { runCli, spawnCli } from '../support/processes';
import { useKbCliRig, writeTree } from './support';
import { defaultHostId } from '../../src/config-hosts';
import { hostQueueName } from '../../src/contracts/routing';

/** Knowledge bases that stay fresh: `aiml kb watch` (file events → the ingest workflow) and `aiml kb schedule` (Temporal Schedules). */

const rig = useKbCliRig();

test('kb watch syncs at start, then once per burst of changes (debounced), and stops cleanly on SIGTERM', async () => {
  const dir = tmpDir('aiml-watched-');
  writeTree(dir, { 'a.md': '# A\nalpha\n' });
  const cli = spawnCli(['kb', 'watch', dir, '--kb', 'watched', '--json', '--debounce', '500'], rig.env);
  const syncs = () => cli.stdout().split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { filesIndexed: number; filesUnchanged: number; filesRemoved: number });
  try {
    await waitFor(async () => (syncs().length >= 1 ? true : undefined), `the first sync (stderr: ${cli.stderr()})`, 90_000);
    expect(syncs()[0]).toMatchObject({ filesIndexed: 1 });
    await new Promise((r) => setTimeout(r, 300)); // the watcher is set up right after the first sync's line
    // A burst: three writes within the debounce window make one sync.
    writeTree(dir, { 'b.md': '# B\nbeta\n' });
    writeTree(dir, { 'c.md': '# C\ngamma\n' });
    fs.rmSync(path.join(dir, 'a.md'));
    await waitFor(async () => (syncs().length >= 2 ? true : undefined), `the sync after the changes (stderr: ${cli.stderr()})`, 90_000);
    expect(syncs()[1]).toMatchObject({ filesIndexed: 2, filesRemoved: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(syncs()).toHaveLength(2); // nothing changed since: no third sync
  } finally {
    cli.child.kill('SIGTERM');
  }
  expect(await cli.exited).toBe(0);
  const found = await runCli(['kb', 'search', 'gamma', '--kb', 'watched', '--json'], rig.env);
  expect((JSON.parse(found.stdout) as { path: string }[])[0]!.path).toBe('c.md');
}, 240_000); // several CLI processes and syncs: room for a loaded machine

test('kb schedule creates a Temporal Schedule that syncs now and every interval; --off removes it; bad intervals are clear errors', async () => {
  const dir = tmpDir('aiml-scheduled-');
  writeTree(dir, { 'notes.md': '# Notes\nscheduled sync\n' });
  const created = await runCli(['kb', 'schedule', dir, '--kb', 'sched', '--every', '1h', '--json'], rig.env);
  expect(created.code).toBe(0);
  expect(JSON.parse(created.stdout)).toEqual({ kb: 'sched', schedule: 'kb-sync-sched', everyMs: 3_600_000, created: true });

  const { client, close } = await testClient();
  try {
    const desc = await client.schedule.getHandle('kb-sync-sched').describe();
    expect(desc.spec.intervals?.[0]?.every).toBe(3_600_000);
    // The sync runs on this host's queue: the folder and the embedded store are here.
    expect(desc.action).toMatchObject({ type: 'startWorkflow', workflowType: 'ingest', taskQueue: hostQueueName(rig.worker.taskQueue, defaultHostId()), args: [{ kb: 'sched', dir }] });
    // Triggered at creation: the knowledge base is synced without waiting an hour.
    const stats = await waitFor(async () => {
      const r = await runCli(['kb', 'stats', '--kb', 'sched', '--json'], rig.env);
      return r.code === 0 && JSON.parse(r.stdout).files === 1 ? JSON.parse(r.stdout) : undefined;
    }, 'the scheduled sync', 90_000);
    expect(stats).toMatchObject({ name: 'sched', files: 1, root: dir });

    const again = await runCli(['kb', 'schedule', '--kb', 'sched', '--every', '30m', '--json'], rig.env);
    expect(JSON.parse(again.stdout)).toMatchObject({ everyMs: 1_800_000, created: false });
    expect((await client.schedule.getHandle('kb-sync-sched').describe()).spec.intervals?.[0]?.every).toBe(1_800_000);

    const off = await runCli(['kb', 'schedule', '--kb', 'sched', '--off', '--json'], rig.env);
    expect(JSON.parse(off.stdout)).toEqual({ kb: 'sched', schedule: 'kb-sync-sched', removed: true });
    await expect(client.schedule.getHandle('kb-sync-sched').describe()).rejects.toThrow();
  } finally {
    await close();
  }

  const bad = await runCli(['kb', 'schedule', dir, '--every', 'hourly'], rig.env);
  expect(bad.code).toBe(2);
  expect(bad.stderr.trim()).toBe('aiml: --every must be a number and a unit (s, m, h or d), like 15m or 1h; got "hourly"');
  const unknown = await runCli(['kb', 'schedule', '--kb', 'nope', '--every', '1h'], rig.env);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr.trim()).toBe('aiml: Knowledge base "nope" does not exist: give its folder, aiml kb schedule <dir> --kb nope --every 1h');
}, 240_000);

test('intervals: a number and a unit', () => {
  expect([parseInterval('90s'), parseInterval('15m'), parseInterval('2h'), parseInterval('1d')]).toEqual([90_000, 900_000, 7_200_000, 86_400_000]);
  expect([parseInterval('0m'), parseInterval('1w'), parseInterval('h')]).toEqual([undefined, undefined, undefined]);
});
