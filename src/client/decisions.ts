import type { Client } from '@temporalio/client';
import {
  approveSignal,
  BUDGET_GATE,
  checkDecision,
  decisionRecord,
  parseApprove,
  parseReject,
  rejectSignal,
  stateQuery,
  type ApprovePayload,
  type DecideInput,
  type GateDecision,
  type GateSummary,
  type RejectPayload,
  type RunState,
} from '../contracts';
import { AimlError, errorMessage } from '../errors';
import { fetchEvents, lastEventId, processedAfter, signalsAfter, unprocessedSignals, type SignalEvent } from './history';
import { describeRun, type RunView } from './run-view';

/**
 * One decision path with one honest answer. A decision is always sent as a signal: it is durable
 * the moment the server accepts it, with or without a worker (an update could sit admitted in the
 * server's memory after the caller gave up, and apply later). Before sending, it is checked against
 * the run's published state and against decisions already queued in its history; after sending,
 * the history tells whether a worker has processed it, and the run's state whether it applied.
 */
export type DecisionOutcome =
  | { outcome: 'applied'; workflowId: string; gate: string; decision: GateDecision }
  | { outcome: 'queued'; workflowId: string; gate: string; warning?: string };

export interface DecideOptions {
  /** How long to wait for a live worker to process the decision before answering "queued". */
  waitMs: number;
  /** Whether a worker may be polling the run's task queue (none: answer "queued" at once). */
  workerMayBeLive: boolean;
  /** Attempt of the run's pending workflow task (> 1: it is failing). */
  workflowTaskAttempt: number;
  /** The run's gate rounds, when known (the memo, or the state from a live worker). */
  gates: readonly GateSummary[] | null;
}

export const DECISION_SIGNALS = { approve: approveSignal.name, reject: rejectSignal.name } as const;

/** A decision signal from history, if the run's own parser would take its payload as a decision. */
export function queuedDecision(s: SignalEvent): { kind: 'approve' | 'reject'; gate?: string; by?: string } | undefined {
  if (s.name === DECISION_SIGNALS.approve) {
    const p = parseApprove(s.payload);
    return p.ok ? { kind: 'approve', gate: p.value.gate, by: p.value.by } : undefined;
  }
  if (s.name === DECISION_SIGNALS.reject) {
    const p = parseReject(s.payload);
    return p.ok && (p.value.stop === true || p.value.feedback?.trim()) ? { kind: 'reject', gate: p.value.gate, by: p.value.by } : undefined;
  }
  return undefined;
}

/** Why a decision cannot apply to the run as published, or undefined if it can. */
export function refusal(view: RunView, input: DecideInput, queued: SignalEvent[], gates: readonly GateSummary[] | null): string | undefined {
  if (view.closeTime) return `Run "${view.workflowId}" already ended (${view.status}); no gate is waiting for a decision`;
  if (gates) {
    const checked = checkDecision({ pendingGate: view.pendingGate, gates }, input);
    if (!checked.ok) return checked.reason === 'no gate is waiting for a decision' ? `Run "${view.workflowId}" is not waiting for a decision (${view.step})` : checked.reason;
  } else {
    // Only the pending gate is known: the same checks, in less detail.
    if (!view.pendingGate) return `Run "${view.workflowId}" is not waiting for a decision (${view.step})`;
    if (input.gate && input.gate !== view.pendingGate) return `gate "${input.gate}" is not pending; the pending gate is "${view.pendingGate}"`;
    if (input.decision === 'reject' && !input.feedback?.trim() && view.pendingGate !== BUDGET_GATE) return 'a rejection needs feedback saying what to change';
  }
  if (!view.pendingGate) return `Run "${view.workflowId}" is not waiting for a decision (${view.step})`;
  for (const s of queued) {
    const q = queuedDecision(s);
    if (q && (q.gate === undefined || q.gate === view.pendingGate)) {
      return (
        `Gate "${view.pendingGate}" already has a decision waiting to be applied: ${q.kind} by ${q.by ?? 'unknown'} (sent ${s.at}); ` +
        'it applies when a worker picks up the run, and this one would be dropped'
      );
    }
  }
  return undefined;
}

/** The signal payload, through the run's own parser: what it would refuse is refused here, with its reason. */
function payloadOf(input: DecideInput, gate: string | undefined): ApprovePayload | RejectPayload {
  const raw: Record<string, string | boolean | number> = gate ? { gate } : {};
  if (input.by !== undefined) raw.by = input.by;
  if (input.comment !== undefined) raw.comment = input.comment;
  if (input.decision === 'reject') raw.feedback = input.feedback ?? '';
  // BUILD tool gates: remember the command pattern (approve), stop the step (reject).
  if (input.decision === 'approve' && input.remember) raw.remember = input.remember;
  if (input.decision === 'reject' && input.stop) raw.stop = true;
  // The budget gate: what an approval adds to the run's limit.
  if (input.decision === 'approve' && input.topUpUsd !== undefined) raw.topUpUsd = input.topUpUsd;
  if (input.decision === 'approve' && input.topUpTokens !== undefined) raw.topUpTokens = input.topUpTokens;
  const parsed = input.decision === 'approve' ? parseApprove(raw) : parseReject(raw);
  if (!parsed.ok) throw new AimlError('USAGE', parsed.reason);
  return parsed.value;
}

/** Sends the decision to `target` (the workflow that owns the gate) and finds out what became of it. */
export async function sendDecision(client: Client, view: RunView, input: DecideInput, opts: DecideOptions): Promise<DecisionOutcome> {
  const target = view.workflowId;
  const before = await fetchEvents(client, target);
  const payload = payloadOf(input, input.gate ?? view.pendingGate ?? undefined);
  const why = refusal(view, input, unprocessedSignals(before), opts.gates);
  if (why) throw new AimlError(view.closeTime ? 'RUN_CLOSED' : 'DECISION_REFUSED', why);
  const gate = view.pendingGate!;
  const handle = client.workflow.getHandle(target);
  const sentAt = Date.now();
  if (input.decision === 'approve') await handle.signal(approveSignal, payload);
  else await handle.signal(rejectSignal, payload as RejectPayload);

  const stuck = opts.workflowTaskAttempt > 1;
  const queued = (): DecisionOutcome => ({
    outcome: 'queued',
    workflowId: target,
    gate,
    warning: stuck ? `the run's workflow task is failing (attempt ${opts.workflowTaskAttempt}): it applies only once the run can move again (see "aiml status ${target}")` : undefined,
  });
  if (!opts.workerMayBeLive || stuck) return queued();

  const since = lastEventId(before);
  const wanted = JSON.stringify(payload);
  const deadline = sentAt + opts.waitMs;
  for (;;) {
    const events = await fetchEvents(client, target);
    const mine = signalsAfter(events, since).find((s) => s.name === DECISION_SIGNALS[input.decision] && JSON.stringify(s.payload) === wanted);
    if (mine) {
      const earlier = signalsAfter(events, since).filter((s) => {
        const q = s.eventId < mine.eventId ? queuedDecision(s) : undefined;
        return q && (q.gate === undefined || q.gate === gate);
      });
      if (earlier.length) {
        const q = queuedDecision(earlier[0]!)!;
        throw new AimlError('DECISION_REFUSED', `Another decision reached gate "${gate}" first (${q.kind} by ${q.by ?? 'unknown'}); yours will be dropped`);
      }
      if (processedAfter(events, mine.eventId)) return decisionOutcome(client, target, gate, input, payload, sentAt);
    }
    if (Date.now() > deadline) return queued();
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The run has processed the signal: whether it applied, and if not why. The memo answers first: it
 * is published in the workflow task that applied the decision and needs no worker, and the worker
 * may be gone by now (`aiml run` stops its own once the run it waits for ends, which an approval
 * can make happen within a second). The reason a decision was ignored is only in the full state.
 */
export async function decisionOutcome(client: Client, target: string, gate: string, input: DecideInput, payload: ApprovePayload | RejectPayload, sentAt: number): Promise<DecisionOutcome> {
  const recent = (at: string): boolean => Date.parse(at) >= sentAt - 60_000;
  const by = input.by?.trim() || 'unknown';
  const view = await describeRun(client, target);
  const published = [...(view.gates ?? [])].reverse().find((g) => g.gate === gate && g.decision?.decision === input.decision && g.decision.by === by && recent(g.decision.at));
  if (published) return { outcome: 'applied', workflowId: target, gate, decision: decisionRecord(published, { ...payload, decision: input.decision }, published.decision!.at, 'signal') };
  let state: RunState;
  try {
    state = await client.withDeadline(Date.now() + 10_000, () => client.workflow.getHandle(target).query(stateQuery));
  } catch (err) {
    const why = view.closeTime ? `it has ended (${view.status}) and no worker answers for it` : 'no worker answers for it now';
    throw new AimlError('NO_WORKER_ANSWER', `The run processed the decision, but whether it applied cannot be read: ${why} (${errorMessage(err).split('\n')[0]}). See "aiml status ${target}"`);
  }
  const applied = [...state.gates].reverse().find((g) => g.gate === gate && g.decision && g.decision.decision === input.decision && g.decision.by === by && recent(g.decision.at));
  if (applied) return { outcome: 'applied', workflowId: target, gate, decision: applied.decision! };
  const ignored = [...state.ignoredDecisions].reverse().find((d) => d.decision === input.decision && recent(d.at));
  throw new AimlError('DECISION_REFUSED', `The run refused the decision: ${ignored?.reason ?? 'it was not applied (see "aiml status --full")'}`);
}
