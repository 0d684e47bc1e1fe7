import { BUDGET_GATE } from './budget';
import type { DecideInput } from './messages';
import type { DecisionKind, GateDecision, GateStatus } from './run';
import type { Parsed } from './schema';

/** What `checkDecision` needs of a gate round: the run state's `gates` and the memo's both fit. */
export interface GateSummary {
  gate: string;
  round: number;
  status: GateStatus;
  decision?: { decision: DecisionKind; by: string; at: string };
}

/** The part of a published run state a decision is checked against. */
export interface DecisionTarget {
  pendingGate: string | null;
  gates: readonly GateSummary[];
}

/**
 * Whether a parsed decision can apply to a run as published: refuses an unknown gate, a gate
 * already decided, a run with no gate waiting, and a rejection without feedback. Answers the
 * round the decision would decide. Used by the `decide` update's validator, by the signal
 * handlers (a refused signal is recorded) and by the CLI when no worker answers.
 */
export function checkDecision(state: DecisionTarget, d: DecideInput): Parsed<GateSummary> {
  const open = state.gates.find((g) => g.status === 'pending');
  if (d.gate) {
    const rounds = state.gates.filter((g) => g.gate === d.gate);
    if (rounds.length === 0) {
      const known = [...new Set(state.gates.map((g) => g.gate))];
      return {
        ok: false,
        reason: `unknown gate "${d.gate}"${open ? `; the pending gate is "${open.gate}"` : known.length ? `; gates so far: ${known.join(', ')}` : ''}`,
      };
    }
    if (!open || open.gate !== d.gate) {
      const last = rounds[rounds.length - 1]!;
      const prior = last.decision;
      return {
        ok: false,
        reason:
          `gate "${d.gate}" is already decided: ${prior ? `${prior.decision} by ${prior.by} at ${prior.at}` : last.status}` +
          (open ? `; the pending gate is "${open.gate}"` : ''),
      };
    }
  }
  if (!open) return { ok: false, reason: 'no gate is waiting for a decision' };
  if (d.remember && d.decision !== 'approve') return { ok: false, reason: 'remember: "pattern" goes with an approval only' };
  if (d.stop && d.decision !== 'reject') return { ok: false, reason: 'stop: true goes with a rejection only' };
  const topUp = d.topUpUsd !== undefined || d.topUpTokens !== undefined;
  if (topUp && d.decision !== 'approve') return { ok: false, reason: 'a top-up goes with an approval only' };
  if (topUp && open.gate !== BUDGET_GATE) return { ok: false, reason: `a top-up applies at the ${BUDGET_GATE} gate only; the pending gate is "${open.gate}"` };
  if (open.gate === BUDGET_GATE) {
    // The budget gate: approve = top up and go on, reject = stop the run (no feedback needed).
    if (d.decision === 'approve' && !topUp) return { ok: false, reason: `the ${BUDGET_GATE} gate is approved with a top-up (approve --top-up <usd> or --top-up-tokens <n>); reject it to stop the run` };
    return { ok: true, value: open };
  }
  if (d.decision === 'reject' && !d.stop && !d.feedback?.trim()) return { ok: false, reason: 'a rejection needs feedback saying what to change' };
  return { ok: true, value: open };
}

/**
 * The CLI commands that decide a gate, rendered in one place (the UI's current details, the gate
 * round's `approveCommand`, reminders and the CLI's status view all use these).
 */
export function decisionCommands(workflowId: string, gate: string): { approve: string; reject: string } {
  if (gate === BUDGET_GATE) return { approve: `aiml approve ${workflowId} --gate ${gate} --top-up <usd>`, reject: `aiml reject ${workflowId} --gate ${gate}` };
  return {
    approve: `aiml approve ${workflowId} --gate ${gate}`,
    reject: `aiml reject ${workflowId} --gate ${gate} --feedback "<what to change>"`,
  };
}

/**
 * The record of a decision applied to a gate round: what the run keeps, and what a client that saw
 * its signal applied can tell the person (the memo publishes only who and when).
 */
export function decisionRecord(round: { gate: string; round: number }, input: DecideInput, at: string, via: GateDecision['via']): GateDecision {
  const decision: GateDecision = { gate: round.gate, round: round.round, decision: input.decision, by: input.by || 'unknown', at, via };
  if (input.comment) decision.comment = input.comment;
  if (input.feedback) decision.feedback = input.feedback;
  if (input.remember === 'pattern') decision.remember = 'pattern';
  if (input.stop === true) decision.stop = true;
  if (input.topUpUsd !== undefined) decision.topUpUsd = input.topUpUsd;
  if (input.topUpTokens !== undefined) decision.topUpTokens = input.topUpTokens;
  return decision;
}
