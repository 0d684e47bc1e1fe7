import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { replayOptions } from '../support/env';

/**
 * A design run recorded on the cluster (test/cluster/histories/): its first workflow task ended
 * with the checkOutputTarget local activity's marker, and the workflow saw that result only in the
 * next task, where the `memo-gates` patch marker was written. It follows a query sent during the
 * first task (the dev server records it too, less often). Workflow code must replay what the server
 * records: a worker restart or a query on the finished run replays it.
 */
test('a design history whose local activity result reached the workflow in the next task replays', async () => {
  const file = path.join(__dirname, 'histories', 'design-la-result-next-task.json');
  const history = temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(file, 'utf8')));
  const split = history.events.findIndex((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  expect(history.events[split + 1]?.workflowTaskScheduledEventAttributes).toBeTruthy(); // the shape this test is about
  await expect(Worker.runReplayHistory(replayOptions(), history, 'design-la-result-next-task')).resolves.toBeUndefined();
});
