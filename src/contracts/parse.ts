import type { ChildStatePayload } from './build';
import { LIMITS } from './limits';
import type { ApprovePayload, DecideInput, RejectPayload } from './messages';
import { RUN_STATUSES, type Phase } from './run';
import { bool, fail, num, nullable, obj, oneOf, optional, str, type Parsed, type Schema } from './schema';

export type { Parsed } from './schema';

/**
 * One parser per message a workflow receives. Each is pure and synchronous and never throws:
 * it answers the trimmed, typed value or the reason it was refused (wrong type, null, a number,
 * an array, an unknown field, an over-long string). The same parsers serve the workflows' signal
 * handlers and update validators, the CLI and the interactive prompt.
 */

const PHASES: readonly Phase[] = ['design', 'build', 'ship', 'ingest'];

const gate = str({ max: LIMITS.gateChars, nonEmpty: true });
const by = str({ max: LIMITS.byChars });
const comment = str({ max: LIMITS.commentChars });
const feedback = str({ max: LIMITS.feedbackChars });

/** Runs a top-level schema; `undefined` (a signal sent with no payload) is read as `{}` when allowed. */
export function top<T>(schema: Schema<T>, raw: unknown, what: string, emptyMeansObject = false): Parsed<T> {
  if (raw === undefined && emptyMeansObject) raw = {};
  if (raw === undefined) return fail(`${what}: no payload`);
  const r = schema(raw, '');
  return r.ok ? r : fail(`${what}: ${r.reason}`);
}

// BUILD tool gates: `remember: "pattern"` on an approval allows the command's pattern for the rest
// of the run; `stop: true` on a rejection ends the step (feedback may then be empty).
const remember = oneOf(['pattern'] as const);
// The `budget` gate: an approval carries a top-up (dollars and/or tokens added to the run's limit).
const topUpUsd = num({ min: 0.000001, max: 1e6 });
const topUpTokens = num({ int: true, min: 1, max: 1e10 });
const approveSchema = obj({ gate: optional(gate), by: optional(by), comment: optional(comment), remember: optional(remember), topUpUsd: optional(topUpUsd), topUpTokens: optional(topUpTokens) });
const rejectSchema = obj({ gate: optional(gate), by: optional(by), feedback: optional(feedback), comment: optional(comment), stop: optional(bool) }, { keepEmpty: ['feedback'] });
const decideSchema = obj({
  decision: oneOf(['approve', 'reject'] as const),
  gate: optional(gate),
  by: optional(by),
  comment: optional(comment),
  feedback: optional(feedback),
  remember: optional(remember),
  stop: optional(bool),
  topUpUsd: optional(topUpUsd),
  topUpTokens: optional(topUpTokens),
});

/** `approve` signal: `{gate?, by?, comment?, remember?, topUpUsd?, topUpTokens?}`; no payload at all means `{}` (approve the pending gate). */
export function parseApprove(raw: unknown): Parsed<ApprovePayload> {
  return top(approveSchema, raw, 'approve', true);
}

/** `reject` signal: `{gate?, by?, feedback?, comment?, stop?}`. Missing or empty feedback parses; `checkDecision` refuses it unless `stop` (ends a BUILD step). */
export function parseReject(raw: unknown): Parsed<RejectPayload> {
  return top(rejectSchema, raw, 'reject');
}

/** `decide` update: `{decision: "approve" | "reject", gate?, by?, comment?, feedback?, remember?, stop?, topUpUsd?, topUpTokens?}`. */
export function parseDecide(raw: unknown): Parsed<DecideInput> {
  return top(decideSchema, raw, 'decide');
}

const childStateSchema = obj({
  workflowId: str({ max: LIMITS.workflowIdChars, nonEmpty: true }),
  phase: oneOf(PHASES),
  status: oneOf(RUN_STATUSES),
  step: str({ max: LIMITS.stepChars }),
  pendingGate: nullable(gate),
  totalTokens: num({ int: true, min: 0 }),
}, { keepEmpty: ['step'] });

/** `childState` signal, sent by a child run (of `ship`) to its parent. */
export function parseChildState(raw: unknown): Parsed<ChildStatePayload> {
  return top(childStateSchema, raw, 'childState');
}

/** A decision as the gate keeper applies it, from either signal or the update. */
export function asDecision(kind: 'approve', p: ApprovePayload): DecideInput;
export function asDecision(kind: 'reject', p: RejectPayload): DecideInput;
export function asDecision(kind: DecideInput['decision'], p: ApprovePayload | RejectPayload): DecideInput {
  return { ...p, decision: kind };
}
