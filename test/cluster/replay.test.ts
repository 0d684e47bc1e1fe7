import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { replayOptions } from '../support/env';

/**
 * A design run recorded on the cluster (test/cluster/histories/) before runs decided their patches
 * up front: its first workflow task ended with the checkOutputTarget local activity's marker, and
 * the workflow saw that result only in the next task, where the `memo-gates` patch marker was
 * written. It follows a query sent during the first task. On replay the SDK resolves the local
 * activity one task early, so the patch is asked for in the wrong task. No workflow code can
 * replay this history: the fix (`patches-at-start`, src/workflows/patches.ts) keeps new runs from
 * recording it (test/patches.replay.test.ts). This test pins the failure, so that the
 * operations note for runs started before the fix ("reset them to their first task") stays true.
 */
test('a pre-fix design history whose local activity result reached the workflow in the next task fails to replay, as documented', async () => {
  const file = path.join(__dirname, 'histories', 'design-la-result-next-task.json');
  const history = temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(file, 'utf8')));
  const split = history.events.findIndex((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  expect(history.events[split + 1]?.workflowTaskScheduledEventAttributes).toBeTruthy(); // the shape this test is about
  await expect(Worker.runReplayHistory(replayOptions(), history, 'design-la-result-next-task')).rejects.toThrow(/patch marker encountered for change memo-gates/);
});
