import * as wf from '@temporalio/workflow';
import type { ApprovalPolicy } from '../contracts/design';
import { approveSignal, decideUpdate, rejectSignal, type DecideInput } from '../contracts/messages';
import type { GateDecision, GateRound } from '../contracts/run';
import type { RunTracker } from './run-state';

export interface GateWaitOptions {
  gate: string;
  summary: string;
  policy?: ApprovalPolicy;
  /** Called at each reminder interval while the gate waits. */
  remind?: (round: GateRound, waitedMs: number) => Promise<void>;
}

const nowIso = (): string => new Date(Date.now()).toISOString();

/**
 * Human approval gates. Decisions arrive as signals (`approve`, `reject`: can be sent from the
 * Temporal UI; a signal that cannot apply is recorded as ignored, with the reason) or as the
 * `decide` update, whose synchronous validator refuses an unknown gate, an already-decided gate
 * and a rejection without feedback before anything is written to history.
 */
export class GateKeeper {
  constructor(private readonly run: RunTracker) {
    wf.setHandler(approveSignal, (p) => this.fromSignal({ ...p, decision: 'approve' }), {
      description: 'Approve the pending gate. Payload: {"by": "name", "comment": "...", "gate": "optional gate id"}',
    });
    wf.setHandler(rejectSignal, (p) => this.fromSignal({ ...p, decision: 'reject' }), {
      description: 'Reject the pending gate with feedback; it is redone with the feedback. Payload: {"by": "name", "feedback": "what to change"}',
    });
    wf.setHandler(decideUpdate, (input) => this.apply(input, 'update'), {
      validator: (input) => this.validate(input),
      description: 'Approve or reject the pending gate; refused at once if the gate is unknown or already decided.',
    });
  }

  private pending(): GateRound | undefined {
    return this.run.state.gates.find((g) => g.status === 'pending');
  }

  /** Throws (refusing the update) when the decision cannot apply now. Synchronous by design. */
  validate(input: DecideInput): void {
    if (!input || (input.decision !== 'approve' && input.decision !== 'reject')) {
      throw new Error(`decision must be "approve" or "reject"`);
    }
    const open = this.pending();
    if (input.gate) {
      const rounds = this.run.state.gates.filter((g) => g.gate === input.gate);
      if (rounds.length === 0) {
        const known = [...new Set(this.run.state.gates.map((g) => g.gate))];
        throw new Error(`unknown gate "${input.gate}"${open ? `; the pending gate is "${open.gate}"` : known.length ? `; gates so far: ${known.join(', ')}` : ''}`);
      }
      if (!open || open.gate !== input.gate) {
        const last = rounds[rounds.length - 1]!;
        const d = last.decision;
        throw new Error(
          `gate "${input.gate}" is already decided: ${d ? `${d.decision} by ${d.by} at ${d.at}` : last.status}` +
            (open ? `; the pending gate is "${open.gate}"` : ''),
        );
      }
    }
    if (!open) throw new Error('no gate is waiting for a decision');
    if (input.remember !== undefined && (input.remember !== 'pattern' || input.decision !== 'approve')) throw new Error('remember: "pattern" goes with an approval only');
    if (input.stop !== undefined && (typeof input.stop !== 'boolean' || input.decision !== 'reject')) throw new Error('stop: true goes with a rejection only');
    if (input.decision === 'reject' && !input.stop && !input.feedback?.trim()) {
      throw new Error('a rejection needs feedback saying what to change');
    }
  }

  private fromSignal(input: DecideInput): void {
    try {
      this.validate(input);
    } catch (err) {
      const reason = (err as Error).message;
      wf.log.warn('decision signal ignored', { reason, gate: input.gate, by: input.by });
      this.run.state.ignoredDecisions.push({ at: nowIso(), decision: input.decision, gate: input.gate, by: input.by, reason });
      this.run.publish();
      return;
    }
    this.apply(input, 'signal');
  }

  private apply(input: DecideInput, via: GateDecision['via']): GateDecision {
    const open = this.pending();
    if (!open) throw new Error('no gate is waiting for a decision'); // validated already; defensive
    const decision: GateDecision = {
      gate: open.gate,
      round: open.round,
      decision: input.decision,
      by: input.by?.trim() || 'unknown',
      at: nowIso(),
      via,
    };
    if (input.comment?.trim()) decision.comment = input.comment.trim();
    if (input.feedback?.trim()) decision.feedback = input.feedback.trim();
    if (input.remember === 'pattern') decision.remember = 'pattern';
    if (input.stop === true) decision.stop = true;
    open.decision = decision;
    open.status = input.decision === 'approve' ? 'approved' : 'rejected';
    this.run.state.pendingGate = null;
    this.run.state.pendingGateWorkflowId = null;
    this.run.state.status = 'running';
    this.run.publish();
    return decision;
  }

  /** Every decision taken so far, oldest first. */
  decisions(): GateDecision[] {
    return this.run.state.gates.flatMap((g) => (g.decision ? [g.decision] : []));
  }

  /** Opens a new round of `gate` and waits durably for its decision, per the approval policy. */
  async wait(opts: GateWaitOptions): Promise<GateDecision> {
    const policy = opts.policy ?? {};
    const info = wf.workflowInfo();
    const round: GateRound = {
      gate: opts.gate,
      round: this.run.state.gates.filter((g) => g.gate === opts.gate).length + 1,
      status: 'pending',
      openedAt: nowIso(),
      summary: opts.summary,
      approveCommand: `aiml approve ${info.workflowId} --gate ${opts.gate}`,
      reminders: 0,
    };
    this.run.state.gates.push(round);
    this.run.state.pendingGate = opts.gate;
    this.run.state.pendingGateWorkflowId = info.workflowId;
    this.run.state.status = 'awaiting_approval';
    this.run.state.step = `waiting for approval of ${opts.gate}`;
    this.run.publish();

    if (policy.mode === 'auto') {
      return this.apply({ decision: 'approve', by: 'policy:auto', comment: 'approval policy is auto' }, 'policy');
    }
    const opened = Date.now();
    const deadline = policy.timeoutMs ? opened + policy.timeoutMs : undefined;
    const decided = (): boolean => round.status !== 'pending';
    for (;;) {
      const untilDeadline = deadline !== undefined ? deadline - Date.now() : undefined;
      const wait = Math.min(policy.reminderIntervalMs ?? Infinity, untilDeadline ?? Infinity);
      if (wait === Infinity) {
        await wf.condition(decided);
        break;
      }
      const summary = wait === untilDeadline ? `approval timeout for ${opts.gate}` : `reminder for ${opts.gate}`;
      if (await wf.condition(decided, Math.max(wait, 1), { summary })) break;
      if (deadline !== undefined && Date.now() >= deadline) {
        if (policy.onTimeout === 'approve') {
          return this.apply({ decision: 'approve', by: 'policy:timeout', comment: 'approved on timeout per policy' }, 'policy');
        }
        round.status = 'timed_out';
        this.run.state.pendingGate = null;
        this.run.state.pendingGateWorkflowId = null;
        throw wf.ApplicationFailure.nonRetryable(`No decision on ${opts.gate} within ${policy.timeoutMs} ms`, 'APPROVAL_TIMEOUT');
      }
      round.reminders += 1;
      this.run.publish();
      await opts.remind?.(round, Date.now() - opened);
    }
    return round.decision!;
  }
}
