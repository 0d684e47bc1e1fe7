import { ServiceError } from '@temporalio/client';
import { noWorkerPolls } from '../../src/client/aiml-client';
import { queuedDecision, refusal } from '../../src/client/decisions';
import type { RunView } from '../../src/client/run-view';
import type { SignalEvent } from '../../src/client/history';
import type { GateSummary } from '../../src/contracts';

/** The checks made before a decision is sent, as pure functions. */

const view = (over: Partial<RunView> = {}): RunView => ({
  workflowId: 'design-1',
  runId: 'r',
  type: 'design',
  phase: 'design',
  status: 'awaiting_approval',
  step: 'waiting for approval of design/spec',
  pendingGate: 'design/spec',
  pendingGateWorkflowId: 'design-1',
  usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, llmCalls: 0 },
  artifacts: [],
  error: null,
  trouble: null,
  startTime: '2026-01-01T00:00:00.000Z',
  closeTime: null,
  historyLength: 10,
  taskQueue: 'tq',
  ...over,
});
const signal = (name: string, payload: unknown, eventId = 20): SignalEvent => ({ eventId, name, at: '2026-01-01T00:01:00.000Z', payload });
const gates: GateSummary[] = [
  { gate: 'design/spec', round: 1, status: 'rejected', decision: { decision: 'reject', by: 'bo', at: '2026-01-01T00:00:30.000Z' } },
  { gate: 'design/spec', round: 2, status: 'pending' },
];

test('a queued decision is recognised only when the run would take it as one', () => {
  expect(queuedDecision(signal('approve', { by: 'ana' }))).toEqual({ kind: 'approve', gate: undefined, by: 'ana' });
  expect(queuedDecision(signal('approve', undefined))).toEqual({ kind: 'approve', gate: undefined, by: undefined }); // no payload: the pending gate
  expect(queuedDecision(signal('reject', { by: 'ana', feedback: 'more' }))).toMatchObject({ kind: 'reject' });
  expect(queuedDecision(signal('reject', { by: 'ana', feedback: '  ' }))).toBeUndefined(); // the run ignores it
  expect(queuedDecision(signal('approve', { by: 42 }))).toBeUndefined();
  expect(queuedDecision(signal('approve', [1, 2]))).toBeUndefined();
  expect(queuedDecision(signal('childState', { workflowId: 'x' }))).toBeUndefined();
});

test('refusals: closed run, no gate, unknown or decided gate, empty rejection, a decision already queued', () => {
  const approve = { decision: 'approve' as const, by: 'ana' };
  expect(refusal(view(), approve, [], gates)).toBeUndefined();
  expect(refusal(view(), approve, [], null)).toBeUndefined();
  expect(refusal(view({ closeTime: '2026-01-02T00:00:00.000Z', status: 'completed' }), approve, [], gates)).toMatch(/already ended \(completed\)/);
  expect(refusal(view({ pendingGate: null, step: 'drafting' }), approve, [], [])).toBe('Run "design-1" is not waiting for a decision (drafting)');
  expect(refusal(view(), { ...approve, gate: 'build/plan' }, [], gates)).toBe('unknown gate "build/plan"; the pending gate is "design/spec"');
  expect(refusal(view(), { ...approve, gate: 'build/plan' }, [], null)).toBe('gate "build/plan" is not pending; the pending gate is "design/spec"');
  expect(refusal(view(), { decision: 'reject', by: 'ana', feedback: ' ' }, [], gates)).toBe('a rejection needs feedback saying what to change');
  expect(refusal(view(), { decision: 'reject', by: 'cy', feedback: 'no' }, [signal('approve', { by: 'ana', gate: 'design/spec' })], gates)).toBe(
    'Gate "design/spec" already has a decision waiting to be applied: approve by ana (sent 2026-01-01T00:01:00.000Z); it applies when a worker picks up the run, and this one would be dropped',
  );
  // A queued signal the run will ignore does not block a real decision.
  expect(refusal(view(), approve, [signal('approve', { by: 42 }), signal('approve', { gate: 'other/gate' })], gates)).toBeUndefined();
});

test('a query the server refuses because no worker polls the queue is "no worker answered", not an unexplained failure', () => {
  // As the server answers a state query some seconds after the run's last worker stopped (seen live: `aiml status --full` printed "Failed to query Workflow").
  const grpc = Object.assign(new Error('9 FAILED_PRECONDITION: no poller seen for task queue recently, worker may be down'), {
    code: 9,
    details: 'no poller seen for task queue recently, worker may be down',
  });
  expect(noWorkerPolls(new ServiceError('Failed to query Workflow', { cause: grpc }))).toBe(true);
  expect(noWorkerPolls(new ServiceError('Failed to query Workflow', { cause: Object.assign(new Error('13 INTERNAL: boom'), { code: 13 }) }))).toBe(false);
  expect(noWorkerPolls(new Error('Workflow not found'))).toBe(false);
});
