import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { approveSignal, decideUpdate, rejectSignal, stateQuery } from '../src/contracts';
import { draftReply } from './support/fixtures';
import { replayOptions, temporalAddress, tmpDir, uniqueId } from './support/env';
import { useRig } from './support/rig';

/**
 * Workflow code must replay the histories that earlier versions recorded: a change that breaks
 * determinism fails here before it can break a running workflow. AIML_RECORD_HISTORIES=1 records
 * a fresh set into test/histories/ (do that only when a change is meant to be incompatible, with
 * a patch or a new workflow type).
 */
const HISTORIES = path.join(__dirname, 'histories');

const rig = useRig();

/** A design run through every kind of event: ignored signal, rejection, update approval, reminder timer. */
async function recordDesignRun(): Promise<{ workflowId: string; history: Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>> }> {
  rig.llm.enqueue(draftReply('replay-1'), draftReply('replay-2'));
  const handle = await rig.client.workflow.start('design', {
    taskQueue: rig.worker.taskQueue,
    workflowId: uniqueId('design-replay'),
    args: [{ brief: 'Replayable design brief', workspace: tmpDir(), approval: { reminderIntervalMs: 3_600_000 } }],
  });
  const waitRound = async (round: number): Promise<void> => {
    for (;;) {
      const s = await handle.query(stateQuery);
      if (s.status === 'awaiting_approval' && s.gates.at(-1)?.round === round) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await waitRound(1);
  await handle.signal(approveSignal, { gate: 'no/such-gate', by: 'x' }); // ignored, recorded
  await handle.signal(rejectSignal, { by: 'rev', feedback: 'add a cache layer' });
  await waitRound(2);
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'rev' }] });
  await handle.result();
  return { workflowId: handle.workflowId, history: await handle.fetchHistory() };
}

test('recorded design histories replay against the current workflow code', async () => {
  const files = fs.readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
  if (process.env.AIML_RECORD_HISTORIES === '1') {
    // The official CLI's JSON is the portable format (what `temporal workflow show -o json` prints).
    const { workflowId } = await recordDesignRun();
    const json = execFileSync(process.env.AIML_TEST_TEMPORAL_BIN!, ['workflow', 'show', '-w', workflowId, '--address', temporalAddress(), '-o', 'json'], {
      encoding: 'utf8',
    });
    fs.writeFileSync(path.join(HISTORIES, 'design-reject-then-approve.json'), json);
    files.push('design-reject-then-approve.json');
  }
  expect(files.length).toBeGreaterThan(0);
  for (const file of [...new Set(files)]) {
    const json = JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8'));
    await expect(Worker.runReplayHistory(replayOptions(), historyFromJSON(json), file)).resolves.toBeUndefined();
  }
});

test('a fresh run of the current code replays cleanly', async () => {
  const { workflowId, history } = await recordDesignRun();
  await expect(Worker.runReplayHistory(replayOptions(), history, workflowId)).resolves.toBeUndefined();
});
