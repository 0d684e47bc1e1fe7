import * as wf from '@temporalio/workflow';
import { checkDecision, decisionCommands, decisionRecord } from '../contracts/decision';
import type { ApprovalPolicy } from '../contracts/design';
import { approveSignal, decideUpdate, rejectSignal, type DecideInput } from '../contracts/messages';
import { parseApprove, parseDecide, parseReject, type Parsed } from '../contracts/parse';
import type { GateDecision, GateRound, Phase } from '../contracts/run';
import { gateDecided, gateOpened } from './metrics';
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
 * Temporal UI) or as the `decide` update. Every payload goes through its parser first: a signal
 * that is malformed or cannot apply is recorded as ignored, with the reason, and changes nothing;
 * the update's synchronous validator refuses the same cases before anything enters history.
 * Nothing a sender types can throw inside the workflow.
 */
export class GateKeeper<P extends Phase = Phase> {
  constructor(private readonly run: RunTracker<P>) {
    wf.setHandler(approveSignal, (raw: unknown) => this.fromSignal('approve', parseApprove(raw)), {
      description: 'Approve the pending gate. Payload: {"by": "name", "comment": "...", "gate": "optional gate id"}',
    });
    wf.setHandler(rejectSignal, (raw: unknown) => this.fromSignal('reject', parseReject(raw)), {
      description: 'Reject the pending gate with feedback; it is redone with the feedback. Payload: {"by": "name", "feedback": "what to change"}',
    });
    wf.setHandler(decideUpdate, (raw: unknown) => this.apply(this.validate(raw), 'update'), {
      validator: (raw: unknown) => void this.validate(raw),
      description: 'Approve or reject the pending gate; refused at once if the payload is malformed, the gate unknown or already decided.',
    });
    run.recordUnknownSignals();
  }

  private pending(): GateRound | undefined {
    return this.run.state.gates.find((g) => g.status === 'pending');
  }

  /** The decision, or throws (refusing the update) when it is malformed or cannot apply now. Synchronous by design. */
  validate(raw: unknown): DecideInput {
    const parsed = parseDecide(raw);
    if (!parsed.ok) throw wf.ApplicationFailure.nonRetryable(parsed.reason, 'DECISION_REFUSED');
    const check = checkDecision(this.run.state, parsed.value);
    if (!check.ok) throw wf.ApplicationFailure.nonRetryable(check.reason, 'DECISION_REFUSED');
    return parsed.value;
  }

  private fromSignal(kind: DecideInput['decision'], parsed: Parsed<Omit<DecideInput, 'decision'>>): void {
    if (!parsed.ok) {
      this.run.ignore({ signal: kind, decision: kind, reason: parsed.reason });
      return;
    }
    const input: DecideInput = { ...parsed.value, decision: kind };
    const check = checkDecision(this.run.state, input);
    if (!check.ok) {
      this.run.ignore({ signal: kind, decision: kind, gate: input.gate, by: input.by, reason: check.reason });
      return;
    }
    this.apply(input, 'signal');
  }

  private apply(input: DecideInput, via: GateDecision['via']): GateDecision {
    const open = this.pending();
    if (!open) throw wf.ApplicationFailure.nonRetryable('no gate is waiting for a decision', 'DECISION_REFUSED'); // checked already; defensive
    const decision = decisionRecord(open, input, nowIso(), via);
    open.decision = decision;
    open.status = input.decision === 'approve' ? 'approved' : 'rejected';
    gateDecided(this.run.state.phase, open.gate, input.decision, Date.now() - Date.parse(open.openedAt));
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
      approveCommand: decisionCommands(info.workflowId, opts.gate).approve,
      reminders: 0,
    };
    this.run.state.gates.push(round);
    this.run.state.pendingGate = opts.gate;
    this.run.state.pendingGateWorkflowId = info.workflowId;
    this.run.state.status = 'awaiting_approval';
    this.run.state.step = `waiting for approval of ${opts.gate}`;
    this.run.publish();
    gateOpened(this.run.state.phase, opts.gate);

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
        gateDecided(this.run.state.phase, opts.gate, 'timed_out', Date.now() - opened);
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
