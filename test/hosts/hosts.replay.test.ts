import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { replayOptions } from '../support/env';

/**
 * Runs routed to host queues (the `host-routing` patch: context gathered on the host, model calls
 * on the shared queue) and the `revert` workflow replay against the current code. Recorded by
 * test/hosts/two-workers.test.ts with AIML_RECORD_HISTORIES=hosts.
 */
const HISTORIES = path.join(__dirname, '..', 'histories', 'hosts');
const FILES = ['design-routed.json', 'build-routed.json', 'revert.json'];

test.each(FILES)('%s replays', async (file) => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
  const events = history.events ?? [];
  if (file !== 'revert.json') {
    // It is a routed run: the patch marker is there and model calls went to another queue than the run's own.
    const patches = events.flatMap((e) => (e.markerRecordedEventAttributes?.markerName === 'core_patch' ? [Buffer.from(e.markerRecordedEventAttributes.details?.['patch-data']?.payloads?.[0]?.data ?? []).toString()] : []));
    expect(patches.some((p) => p.includes('"host-routing"'))).toBe(true);
    const queues = new Set(events.map((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name).filter(Boolean));
    expect(queues.size).toBe(2);
  }
  await expect(Worker.runReplayHistory(replayOptions(), history, file)).resolves.toBeUndefined();
});
