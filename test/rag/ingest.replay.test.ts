import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { temporalAddress, tmpDir, uniqueId, replayOptions } from '../support/env';
import { CORPUS, useRagRig, writeTree } from './support';

/**
 * The ingest workflow must replay what earlier versions recorded. AIML_RECORD_HISTORIES=1 records
 * test/histories/ingest-resync.json afresh (only for a change meant to be incompatible).
 */
const FILE = path.join(__dirname, '..', 'histories', 'ingest-resync.json');

const rig = useRagRig();

/** A re-sync with every step: scan, two index batches, removal of a deleted file. */
async function recordResync(): Promise<string> {
  const dir = tmpDir('aiml-corpus-');
  writeTree(dir, CORPUS);
  const kb = uniqueId('kb');
  const run = (input: object) => rig.client.workflow.execute('ingest', { taskQueue: rig.worker.taskQueue, workflowId: uniqueId('kb-ingest'), args: [input] });
  await run({ kb, dir });
  fs.rmSync(path.join(dir, 'notes/ops.txt'));
  fs.appendFileSync(path.join(dir, 'README.md'), '\n## Refunds\nRefunds go back to the original card.\n');
  fs.writeFileSync(path.join(dir, 'src/tax.ts'), 'export const vat = 0.2;\n');
  const workflowId = uniqueId('kb-ingest');
  await rig.client.workflow.execute('ingest', { taskQueue: rig.worker.taskQueue, workflowId, args: [{ kb, batchFiles: 1 }] });
  return workflowId;
}

test('a recorded ingest history, and a fresh one, replay against the current workflow code', async () => {
  const workflowId = await recordResync();
  const fresh = await rig.client.workflow.getHandle(workflowId).fetchHistory();
  await expect(Worker.runReplayHistory(replayOptions(), fresh, workflowId)).resolves.toBeUndefined();
  if (process.env.AIML_RECORD_HISTORIES === '1' || !fs.existsSync(FILE)) {
    const json = execFileSync(process.env.AIML_TEST_TEMPORAL_BIN!, ['workflow', 'show', '-w', workflowId, '--address', temporalAddress(), '-o', 'json'], { encoding: 'utf8' });
    fs.writeFileSync(FILE, json);
  }
  const recorded = historyFromJSON(JSON.parse(fs.readFileSync(FILE, 'utf8')));
  const types = recorded.events!.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
  expect(types).toEqual(['kbPlan', 'kbIndexBatch', 'kbIndexBatch', 'kbRemoveDeleted']);
  await expect(Worker.runReplayHistory(replayOptions(), recorded, 'ingest-resync.json')).resolves.toBeUndefined();
});
