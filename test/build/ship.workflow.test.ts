import fs from 'node:fs';
import path from 'node:path';
import { approveSignal, BUILD_PLAN_GATE, DESIGN_GATE, decideUpdate, stateQuery, type RunState, type ShipResult } from '../../src/contracts';
import { draftReply } from '../support/fixtures';
import { uniqueId } from '../support/env';
import { aimlEnv, runCli } from '../support/processes';
import { agentReplies, fixtureRepo, planReply, whisperEdits } from './fixtures';
import { useRig, waitFor } from './helpers';

const rig = useRig();

test('ship goes from brief to applied code through both phases\' gates, routed to the children', async () => {
  const ws = fixtureRepo();
  fs.rmSync(path.join(ws, 'SPECS.md')); // the design child writes the spec; aiml never replaces a hand-written one
  rig.llm.enqueue(draftReply('ship'), planReply([{ title: 'Add whisper', files: [{ path: 'src/text.js' }, { path: 'test.js' }] }]), ...agentReplies(whisperEdits()));
  const id = uniqueId('ship');
  const handle = await rig.client.workflow.start('ship', {
    taskQueue: rig.worker.taskQueue,
    workflowId: id,
    args: [{ brief: 'Add whisper() to the text utility library', workspace: ws, buildApproval: 'plan', checkCommand: 'node test.js' }],
  });
  const gateOf = (gate: string) =>
    waitFor(async () => {
      const s: RunState = await handle.query(stateQuery);
      return s.pendingGate === gate ? s : undefined;
    }, `ship waiting on ${gate}`);

  const s1 = await gateOf(DESIGN_GATE);
  expect(s1.status).toBe('awaiting_approval');
  expect(s1.pendingGateWorkflowId).toBe(`${id}-design`);
  expect(s1.details.children).toEqual({ design: `${id}-design` });
  // The ship run itself refuses the update and says where the gate lives.
  const refused = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve' }] }).then(
    () => 'accepted',
    (e: Error & { cause?: Error }) => e.cause?.message ?? e.message,
  );
  expect(refused).toContain(`the pending gate "${DESIGN_GATE}" belongs to ${id}-design`);
  // `aiml status` shows the ship run with its pending child gate, and the child.
  const status = await runCli(['status', id], aimlEnv({ AIML_TASK_QUEUE: rig.worker.taskQueue }));
  expect(status.stdout).toContain(`waiting: gate ${DESIGN_GATE} (in ${id}-design)`);
  expect(status.stdout).toContain(`design: ${id}-design`);
  await rig.client.workflow.getHandle(s1.pendingGateWorkflowId!).executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'ana' }] });

  const s2 = await gateOf(BUILD_PLAN_GATE);
  expect(s2.pendingGateWorkflowId).toBe(`${id}-build`);
  expect(s2.details.children).toEqual({ design: `${id}-design`, build: `${id}-build` });
  await handle.signal(approveSignal, { by: 'bo' }); // sent to the ship run (as from the UI), forwarded to the build child

  const result: ShipResult = await handle.result();
  expect(result.buildRunId).toBe(`${id}-build`);
  expect(result.build!.filesChanged).toEqual(['src/text.js', 'test.js']);
  expect(result.build!.steps[0]!.status).toBe('passed');
  expect(result.build!.decisions.map((d) => [d.gate, d.by])).toEqual([[BUILD_PLAN_GATE, 'bo']]);
  expect(fs.readFileSync(path.join(ws, 'SPECS.md'), 'utf8')).toContain('AI/ML ARCHITECTURE DESIGN:');
  expect(fs.readFileSync(path.join(ws, 'src/text.js'), 'utf8')).toContain('function whisper');
  expect(result.usage.totalTokens).toBeGreaterThan(result.build!.usage.totalTokens);
  const final = await handle.query(stateQuery);
  expect(final).toMatchObject({ status: 'completed', pendingGate: null });
});
