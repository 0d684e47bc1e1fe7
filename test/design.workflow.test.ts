import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { DESIGN_GATE, decideUpdate, rejectSignal, stateQuery, approveSignal, type DesignResult } from '../src/contracts';
import { SECTION_TITLES } from '../src/design/architecture';
import { draftReply } from './support/fixtures';
import { tmpDir, uniqueId, waitFor } from './support/env';
import { useRig } from './support/rig';

const rig = useRig();

/** The validator's message of a refused update. */
async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: Error & { cause?: Error }) => e,
  );
  if (!err) throw new Error('the update was accepted');
  return err.cause?.message ?? err.message;
}

function startDesign(workspace: string, extra: Record<string, unknown> = {}) {
  return rig.client.workflow.start('design', {
    taskQueue: rig.worker.taskQueue,
    workflowId: uniqueId('design'),
    args: [{ brief: 'A support chatbot that answers from our product docs', workspace, ...extra }],
  });
}

async function awaitingRound(handle: Awaited<ReturnType<typeof startDesign>>, round: number) {
  return waitFor(async () => {
    const s = await handle.query(stateQuery);
    const g = s.gates[s.gates.length - 1];
    return s.status === 'awaiting_approval' && g?.round === round ? s : undefined;
  }, `round ${round} awaiting approval`);
}

test('reject with feedback redrafts with it, approve writes SPECS.md with all six sections', async () => {
  const workspace = tmpDir();
  fs.writeFileSync(path.join(workspace, 'README.md'), '# Docs bot\nA chatbot answering support questions from docs.\n');
  rig.llm.enqueue(draftReply('first'), draftReply('second'));
  const handle = await startDesign(workspace);

  const s1 = await awaitingRound(handle, 1);
  expect(s1.pendingGate).toBe(DESIGN_GATE);
  expect(s1.details.title).toBe('Support assistant architecture first');
  expect(rig.llm.requests.at(-1)!.messages[1]!.content).toContain('Docs bot'); // workspace context reached the prompt

  await handle.signal(rejectSignal, { by: 'ana', feedback: 'Use pgvector instead of a managed vector DB' });
  await awaitingRound(handle, 2);
  const redraftPrompt = rig.llm.requests.at(-1)!.messages.map((m) => m.content).join('\n');
  expect(redraftPrompt).toContain('Use pgvector instead of a managed vector DB');
  expect(redraftPrompt).toContain('Support assistant architecture first'); // previous draft included

  const decision = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'bo', comment: 'ship it' }] });
  expect(decision).toMatchObject({ gate: DESIGN_GATE, round: 2, decision: 'approve', by: 'bo', via: 'update' });

  const result: DesignResult = await handle.result();
  expect(result.rounds).toBe(2);
  const spec = fs.readFileSync(path.join(workspace, 'SPECS.md'), 'utf8');
  expect(result.specPath).toBe(path.join(workspace, 'SPECS.md'));
  expect(spec).toContain('AI/ML ARCHITECTURE DESIGN:');
  for (const title of Object.values(SECTION_TITLES)) expect(spec).toMatch(new RegExp(`^- ${title.replace(/[&]/g, '\\$&')}: \\S`, 'm'));
  expect(spec).toContain('Vector store choice A (second)');
  expect(spec).not.toContain('(first)');

  const history = await handle.fetchHistory();
  const signals = history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes);
  const updates = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  expect(signals.map((e) => e.workflowExecutionSignaledEventAttributes!.signalName)).toEqual(['reject']);
  expect(updates).toHaveLength(1);
  expect(result.decisions.map((d) => [d.decision, d.by])).toEqual([
    ['reject', 'ana'],
    ['approve', 'bo'],
  ]);
  const final = await handle.query(stateQuery);
  expect(final.status).toBe('completed');
  expect(final.usage.totalTokens).toBeGreaterThan(0);
  expect(final.artifacts).toEqual([result.specPath]);
});

test('the decide update refuses an unknown gate, an empty rejection and an already-decided gate', async () => {
  rig.llm.enqueue(draftReply('u1'));
  const handle = await startDesign(tmpDir());
  await awaitingRound(handle, 1);
  expect(await refusal(handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', gate: 'build/plan' }] }))).toMatch(/unknown gate "build\/plan"/);
  expect(await refusal(handle.executeUpdate(decideUpdate, { args: [{ decision: 'reject', feedback: '  ' }] }))).toMatch(/needs feedback/);
  await handle.signal(approveSignal, { by: 'cy' });
  await handle.result();
  // The run has ended; a late decision on the same gate is refused, and history has no trace of refusals.
  const history = await handle.fetchHistory();
  expect(history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(0);
});

test('an invalid decision signal is recorded as ignored, not applied', async () => {
  rig.llm.enqueue(draftReply('s1'));
  const handle = await startDesign(tmpDir());
  await awaitingRound(handle, 1);
  await handle.signal(rejectSignal, { by: 'dee', feedback: '' });
  const s = await waitFor(async () => {
    const st = await handle.query(stateQuery);
    return st.ignoredDecisions.length ? st : undefined;
  }, 'ignored decision');
  expect(s.ignoredDecisions[0]).toMatchObject({ decision: 'reject', by: 'dee' });
  expect(s.ignoredDecisions[0]!.reason).toMatch(/needs feedback/);
  expect(s.status).toBe('awaiting_approval');
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'dee' }] });
  await handle.result();
  expect(await refusal(handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', gate: DESIGN_GATE }] }))).toMatch(/./);
});

test('an approval timeout fails the run with APPROVAL_TIMEOUT after sending reminders', async () => {
  rig.llm.enqueue(draftReply('t1'));
  const handle = await startDesign(tmpDir(), { approval: { timeoutMs: 3500, reminderIntervalMs: 1000 } });
  const err = await handle.result().catch((e) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/No decision on design\/spec within 3500 ms/);
  const reminders = fs.readFileSync(path.join(rig.worker.stateDir, 'reminders.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(reminders.filter((r) => r.workflowId === handle.workflowId).length).toBeGreaterThanOrEqual(2);
});
