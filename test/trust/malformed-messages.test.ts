import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { DESIGN_GATE, LIMITS, RUN_MEMO_KEY, stateQuery, type RunMemo, type RunState } from '../../src/contracts';
import { draftReply } from '../support/fixtures';
import { tmpDir, uniqueId, waitFor } from '../support/env';
import { useRig } from '../support/rig';

const rig = useRig();
const HUGE = 'x'.repeat(100_000);

/** Payloads that must change nothing, whichever message carries them. */
const JUNK: unknown[] = [42, null, [1, 2], 'approve', true, { by: 42 }, { by: 'ana', comment: 5 }, { gate: null }, { by: HUGE }, { evil: 1 }, { by: { nested: true } }];
/** The matrix: every message type the run accepts, and one it does not know. */
const SIGNALS: [string, unknown][] = [
  ...JUNK.map((p): [string, unknown] => ['approve', p]),
  ...JUNK.map((p): [string, unknown] => ['reject', p]),
  ['reject', { by: 'ana', feedback: 7 }],
  ['reject', { by: 'ana', feedback: HUGE }],
  ['reject', { by: 'ana', feedback: '   ' }],
  ['reject', { by: 'ana' }],
  ['approve', { gate: 'build/plan', by: 'ana' }], // well-formed, but no such gate
  ...JUNK.map((p): [string, unknown] => ['childState', p]),
  ['childState', { workflowId: 'elsewhere', phase: 'design', status: 'running', step: 'x', pendingGate: null, totalTokens: 1 }],
  ['aprove', { by: 'ana' }],
  ['approve\u001b[31m', 1],
];
const UPDATES: unknown[] = [...JUNK, { decision: 'approve', by: 42 }, { decision: 'maybe' }, { decision: 'reject', feedback: '' }, { decision: 'approve', gate: 'nope' }, { decision: 'approve', extra: 1 }];

async function parkedDesign(): Promise<WorkflowHandle> {
  rig.llm.enqueue(draftReply('matrix'));
  const handle = await rig.client.workflow.start('design', {
    taskQueue: rig.worker.taskQueue,
    workflowId: uniqueId('design-matrix'),
    args: [{ brief: 'A support chatbot that answers from our product docs', workspace: tmpDir() }],
  });
  await waitFor(async () => ((await handle.query(stateQuery)).status === 'awaiting_approval' ? true : undefined), 'the design gate');
  return handle;
}

/** Sends the whole matrix and checks that nothing moved. */
async function sendMatrix(handle: WorkflowHandle): Promise<RunState> {
  for (const [name, payload] of SIGNALS) await handle.signal(name, payload);
  for (const payload of UPDATES) {
    const err = await handle.executeUpdate('decide', { args: [payload] }).then(
      () => undefined,
      (e: Error & { cause?: Error }) => e,
    );
    expect(err).toBeDefined(); // refused, every one
  }
  const state = await waitFor(async () => {
    const s = await handle.query(stateQuery);
    return s.ignoredTotal === SIGNALS.length ? s : undefined;
  }, 'every signal recorded');
  expect(state.status).toBe('awaiting_approval');
  expect(state.pendingGate).toBe(DESIGN_GATE);
  expect(state.gates).toHaveLength(1);
  expect(state.gates[0]).toMatchObject({ gate: DESIGN_GATE, round: 1, status: 'pending' });
  expect(state.gates[0]!.decision).toBeUndefined();
  // Bounded: the latest ones are kept, every one is counted.
  expect(state.ignoredDecisions).toHaveLength(LIMITS.ignoredKept);
  expect(state.ignoredDecisions.at(-1)).toMatchObject({ signal: 'approve?[31m', reason: expect.stringMatching(/^unknown signal "approve\?\[31m"/) });
  expect(state.ignoredDecisions.at(-2)).toMatchObject({ signal: 'aprove', reason: expect.stringMatching(/^unknown signal "aprove"/) });
  expect(JSON.stringify(state).length).toBeLessThan(20_000); // the huge strings were not kept
  const history = await handle.fetchHistory();
  expect(history.events!.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
  expect(history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toEqual([]);
  // The memo (what the CLI reads with no worker) shows the gate still pending.
  const memo = (await handle.describe()).memo?.[RUN_MEMO_KEY] as RunMemo;
  expect(memo.pendingGate).toBe(DESIGN_GATE);
  expect(memo.gates).toEqual([{ gate: DESIGN_GATE, round: 1, status: 'pending' }]);
  return state;
}

test('a parked run takes a matrix of malformed messages without moving, then a valid approve still works', async () => {
  const handle = await parkedDesign();
  const state = await sendMatrix(handle);
  // The records say why, for a few representative cases (the oldest are no longer kept).
  const reasons = state.ignoredDecisions.map((d) => d.reason).join('\n');
  expect(reasons).toMatch(/reject: "feedback" is too long: 100000 characters, at most 8000/);
  expect(reasons).toMatch(/unknown gate "build\/plan"; the pending gate is "design\/spec"/);
  // A design run has no childState handler: those are unknown signals here (ship parses them).
  expect(reasons).toMatch(/unknown signal "childState"/);

  await handle.signal('approve', { by: 'ana', comment: 'fine' });
  await handle.result();
  const final = await handle.query(stateQuery);
  expect(final.status).toBe('completed');
  expect(final.gates[0]!.decision).toMatchObject({ decision: 'approve', by: 'ana', comment: 'fine', via: 'signal' });
});

test('a parked run that took the matrix is still cancellable', async () => {
  const handle = await parkedDesign();
  await sendMatrix(handle);
  await handle.cancel();
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
});

test('early refusals are recorded with their reasons', async () => {
  const handle = await parkedDesign();
  const sent: [string, unknown, RegExp][] = [
    ['approve', 42, /approve: the payload must be an object, got a number/],
    ['approve', null, /approve: the payload must be an object, got null/],
    ['approve', [1, 2], /approve: the payload must be an object, got an array/],
    ['approve', { by: 42 }, /approve: "by" must be a string, got a number/],
    ['reject', { by: 'ana', feedback: HUGE }, /reject: "feedback" is too long: 100000 characters, at most 8000/],
    ['reject', { by: 'dee', feedback: ' ' }, /a rejection needs feedback/],
  ];
  for (const [name, payload] of sent) await handle.signal(name, payload);
  const s = await waitFor(async () => {
    const st = await handle.query(stateQuery);
    return st.ignoredTotal === sent.length ? st : undefined;
  }, 'refusals recorded');
  sent.forEach(([name, , reason], i) => {
    expect(s.ignoredDecisions[i]!.signal).toBe(name);
    expect(s.ignoredDecisions[i]!.reason).toMatch(reason);
  });
  expect(s.ignoredDecisions[5]!.by).toBe('dee');
  expect(s.status).toBe('awaiting_approval');
  await handle.terminate('test done');
});

test('a ship run parses what it routes: malformed or spoofed messages move neither it nor its child', async () => {
  rig.llm.enqueue(draftReply('ship-matrix'));
  const id = uniqueId('ship-matrix');
  const handle = await rig.client.workflow.start('ship', { taskQueue: rig.worker.taskQueue, workflowId: id, args: [{ brief: 'Add whisper()', workspace: tmpDir() }] });
  const parked = await waitFor(async () => {
    const s = await handle.query(stateQuery);
    return s.pendingGate === DESIGN_GATE ? s : undefined;
  }, 'ship parked at the design gate');
  const spoof = { workflowId: 'someone-else', phase: 'design', status: 'running', step: 'x', pendingGate: null, totalTokens: 1 };
  const sent: [string, unknown, RegExp][] = [
    ['childState', 42, /^childState: the payload must be an object, got a number$/],
    ['childState', { ...spoof, totalTokens: 'many' }, /"totalTokens" must be a finite number, got a string/],
    ['childState', { ...spoof, extra: 1 }, /unknown field "extra"/],
    ['childState', spoof, /childState from "someone-else", which is not a child of this run/],
    ['approve', null, /^approve: the payload must be an object, got null$/],
    ['reject', { feedback: 5 }, /"feedback" must be a string, got a number/],
    ['nonsense', {}, /unknown signal "nonsense"/],
  ];
  for (const [name, payload] of sent) await handle.signal(name, payload);
  const s = await waitFor(async () => {
    const st = await handle.query(stateQuery);
    return st.ignoredTotal === sent.length ? st : undefined;
  }, 'ship refusals recorded');
  sent.forEach(([name, , reason], i) => expect([s.ignoredDecisions[i]!.signal, s.ignoredDecisions[i]!.reason]).toEqual([name, expect.stringMatching(reason)]));
  expect(s).toMatchObject({ status: 'awaiting_approval', pendingGate: DESIGN_GATE, pendingGateWorkflowId: parked.pendingGateWorkflowId });
  const child = await rig.client.workflow.getHandle(`${id}-design`).query(stateQuery);
  expect(child).toMatchObject({ status: 'awaiting_approval', ignoredTotal: 0 });
  expect(child.gates[0]!.decision).toBeUndefined();
  const history = await handle.fetchHistory();
  expect(history.events!.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
  await handle.cancel();
  expect(await handle.result().catch((e: unknown) => e)).toBeInstanceOf(WorkflowFailedError);
});
