import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { BUILD_PLAN_GATE, buildStepGate, commandGate, decideUpdate, rejectSignal } from '../../src/contracts';
import { draftReply } from '../support/fixtures';
import { replayOptions, temporalAddress, uniqueId } from '../support/env';
import { agentReplies, fixtureRepo, patch, planReply, stepReply, whisperEdits } from './fixtures';
import { finish, runCommand, turn } from '../agent/helpers';
import { awaitingGate, startBuild, useRig } from './helpers';
import { localActivities } from '../faults/support';

/**
 * BUILD and SHIP workflow code must replay the histories earlier versions recorded.
 * AIML_RECORD_HISTORIES=1 records fresh ones into test/histories/build/ (only for a change meant to be
 * incompatible, shipped with a patch or a new workflow type).
 */
const HISTORIES = path.join(__dirname, '..', 'histories', 'build');
const FILES = { build: 'build-reject-fix-approve.json', ship: 'ship-design-then-build.json', agent: 'build-agent-gates-fix.json', leads: 'build-agent-leads.json' };

const rig = useRig();

/** A build through a plan rejection (signal), a step approval (update), a failed check and its fix. */
async function recordBuild(): Promise<WorkflowHandle> {
  const ws = fixtureRepo();
  const plan = planReply([{ title: 'Add whisper', files: [{ path: 'src/text.js' }, { path: 'test.js' }] }]);
  rig.llm.enqueue(plan, plan, stepReply([patch('src/text.js', [['return s.toUpperCase();', 'return s;']])]), stepReply([patch('src/text.js', [['return s;', 'return s.toUpperCase();']])]));
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'each', checkCommand: 'node test.js' });
  await awaitingGate(handle, BUILD_PLAN_GATE, 1);
  await handle.signal(rejectSignal, { by: 'rev', feedback: 'smaller steps' });
  await awaitingGate(handle, BUILD_PLAN_GATE, 2);
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'rev' }] });
  await awaitingGate(handle, buildStepGate(1), 1);
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'rev' }] });
  await handle.result();
  return handle;
}

async function recordShip(): Promise<WorkflowHandle> {
  const ws = fixtureRepo();
  fs.rmSync(path.join(ws, 'SPECS.md')); // the design child writes the spec; aiml never replaces a hand-written one
  rig.llm.enqueue(draftReply('replay'), planReply([{ title: 'Add whisper', files: [{ path: 'src/text.js' }, { path: 'test.js' }] }]), ...agentReplies(whisperEdits()));
  const handle = await rig.client.workflow.start('ship', {
    taskQueue: rig.worker.taskQueue,
    workflowId: uniqueId('ship-replay'),
    args: [{ brief: 'Add whisper()', workspace: ws, designApproval: { mode: 'auto' }, buildApproval: 'none', checkCommand: 'node test.js' }],
  });
  await handle.result();
  return handle;
}

/**
 * An agent step through its gates: a command outside the allow-list rejected with feedback, each
 * edit approved with its diff, a failing check fed back, a fix, a passing check.
 */
async function recordAgentBuild(): Promise<WorkflowHandle> {
  const ws = fixtureRepo();
  const [edits] = agentReplies(whisperEdits());
  const broken = agentReplies([patch('src/text.js', [['return s.toLowerCase();', 'return s;']])])[0]!;
  const fixed = agentReplies([patch('src/text.js', [['return s;', 'return s.toLowerCase();']])])[0]!;
  rig.llm.enqueue(
    planReply([{ title: 'Add whisper', files: [{ path: 'src/text.js' }, { path: 'test.js' }] }]),
    turn(runCommand('ls -la')),
    edits!,
    broken,
    turn(finish()),
    fixed,
    turn(finish()),
  );
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'each', checkCommand: 'node test.js', stepMode: 'agent' });
  await awaitingGate(handle, BUILD_PLAN_GATE, 1);
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'rev' }] });
  await awaitingGate(handle, commandGate(1), 1);
  await handle.signal(rejectSignal, { by: 'rev', feedback: 'no need to list files' });
  for (let round = 1; round <= 4; round++) {
    await awaitingGate(handle, buildStepGate(1), round);
    await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'rev' }] });
  }
  await handle.result();
  return handle;
}

test('recorded build and ship histories replay against the current workflow code', async () => {
  const record = process.env.AIML_RECORD_HISTORIES;
  if (record === '1' || record === 'agent' || record === 'leads') {
    // `leads`: the agent build since the step-leads patch, kept beside the one recorded before it.
    const runs = [['build', recordBuild], ['ship', recordShip], ['agent', recordAgentBuild], ['leads', recordAgentBuild]] as const;
    for (const [kind, run] of runs.filter(([k]) => record === '1' || k === record)) {
      const { workflowId } = await run();
      const json = execFileSync(process.env.AIML_TEST_TEMPORAL_BIN!, ['workflow', 'show', '-w', workflowId, '--address', temporalAddress(), '-o', 'json'], { encoding: 'utf8' });
      fs.writeFileSync(path.join(HISTORIES, FILES[kind]), json);
    }
  }
  for (const file of Object.values(FILES)) {
    const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORIES, file), 'utf8')));
    if (file === FILES.agent || file === FILES.leads) {
      // It is an agent step: model turns, local-activity tool calls, a gated command, edit gates.
      const types = history.events!.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter(Boolean);
      expect(types.filter((t) => t === 'agentTurn').length).toBeGreaterThanOrEqual(6);
      expect(history.events!.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toBe(true);
      // Before the step-leads patch a step began with its first turn; since, with agentLeads.
      expect(localActivities(history.events!).includes('agentLeads')).toBe(file === FILES.leads);
    }
    // Ship names its children after its own id: replay under the id it was recorded with.
    const child = history.events?.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)?.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    await expect(Worker.runReplayHistory(replayOptions(), history, child ? child.replace(/-design$/, '') : file)).resolves.toBeUndefined();
  }
});

test('a fresh build run of the current code replays cleanly, one-shot and agent steps', async () => {
  for (const run of [recordBuild, recordAgentBuild]) {
    const handle = await run();
    await expect(Worker.runReplayHistory(replayOptions(), await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
  }
});
