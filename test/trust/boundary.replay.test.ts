import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { BUILD_PLAN_GATE, DESIGN_GATE } from '../../src/contracts';
import { fixtureRepo, planReply, stepReply, whisperEdits } from '../build/fixtures';
import { awaitingGate, startBuild } from '../build/helpers';
import { draftReply } from '../support/fixtures';
import { temporalAddress, tmpDir, uniqueId, replayOptions } from '../support/env';
import { useRig } from '../support/rig';

/**
 * Histories of the boundary's shapes: the output check before the first gate, the gate rounds in
 * the memo, malformed and unknown signals recorded, refused updates. AIML_RECORD_HISTORIES=1
 * records them afresh (test/histories/design-boundary.json is also replayed by design.replay).
 */
const HISTORIES = path.join(__dirname, '..', 'histories');
const FILES = { design: 'design-boundary.json', build: path.join('build', 'build-boundary.json') };

const rig = useRig();

/** Junk that must be recorded, then a refused update, then a real decision. */
async function junkThenApprove(handle: WorkflowHandle): Promise<void> {
  await handle.signal('approve', 42);
  await handle.signal('reject', { by: 'x', feedback: 7 });
  await handle.signal('no-such-signal', { by: 'x' });
  await handle.executeUpdate('decide', { args: [{ decision: 'approve', by: 5 }] }).catch(() => undefined);
  await handle.signal('approve', { by: 'rev', comment: 'ok' });
  await handle.result();
}

async function recordDesign(): Promise<WorkflowHandle> {
  const workspace = tmpDir();
  fs.writeFileSync(path.join(workspace, 'SPECS.md'), '# notes\n');
  rig.llm.enqueue(draftReply('boundary'));
  const handle = await rig.client.workflow.start('design', {
    taskQueue: rig.worker.taskQueue,
    workflowId: uniqueId('design-boundary'),
    args: [{ brief: 'A replayable brief', workspace, force: true }],
  });
  await awaitingGate(handle, DESIGN_GATE);
  await junkThenApprove(handle);
  return handle;
}

async function recordBuild(): Promise<WorkflowHandle> {
  rig.llm.enqueue(planReply([{ title: 'Add whisper', files: [{ path: 'src/text.js' }, { path: 'test.js' }] }]), stepReply(whisperEdits()));
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: fixtureRepo(), approval: 'plan', checkCommand: 'node test.js' });
  await awaitingGate(handle, BUILD_PLAN_GATE);
  await junkThenApprove(handle);
  return handle;
}

test('recorded boundary histories replay against the current workflow code', async () => {
  if (process.env.AIML_RECORD_HISTORIES === '1') {
    for (const [kind, record] of [['design', recordDesign], ['build', recordBuild]] as const) {
      const { workflowId } = await record();
      const json = execFileSync(process.env.AIML_TEST_TEMPORAL_BIN!, ['workflow', 'show', '-w', workflowId, '--address', temporalAddress(), '-o', 'json'], { encoding: 'utf8' });
      fs.writeFileSync(path.join(HISTORIES, FILES[kind]), json);
    }
  }
  for (const file of Object.values(FILES)) {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
    const names = history.events!.flatMap((e) => (e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName] : []));
    expect(names).toEqual(['approve', 'reject', 'no-such-signal', 'approve']); // the shape this file is meant to hold
    await expect(Worker.runReplayHistory(replayOptions(), history, file)).resolves.toBeUndefined();
  }
});

test('a fresh boundary run of the current code replays cleanly', async () => {
  const handle = await recordDesign();
  await expect(Worker.runReplayHistory(replayOptions(), await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
});
