import * as wf from '@temporalio/workflow';
import { SA_AWAITING_APPROVAL, SA_PHASE, SA_STATUS, SA_TOTAL_TOKENS } from '../contracts/search-attributes';
import { RUN_MEMO_KEY, ZERO_USAGE, type Phase, type RunMemo, type RunState } from '../contracts/run';
import { stateQuery } from '../contracts/messages';
import { childStateSignal, type ChildStatePayload } from '../contracts/build';
import type { ToolCallView } from '../contracts/agent';

/**
 * Owns a workflow's RunState: answers the `state` query, keeps the UI's current-details panel
 * and the search attributes in step with it (upserting only what changed).
 */
export class RunTracker {
  readonly state: RunState;
  private lastAttrs = '';
  private lastMemo = '';
  private lastToParent = '';

  constructor(phase: Phase, initial?: Partial<RunState>) {
    this.state = {
      phase,
      status: 'running',
      step: 'starting',
      pendingGate: null,
      pendingGateWorkflowId: null,
      gates: [],
      ignoredDecisions: [],
      usage: { ...ZERO_USAGE },
      artifacts: [],
      error: null,
      details: {},
      ...initial,
    };
    wf.setHandler(stateQuery, () => this.state, { description: 'The run: status, step, pending gate, decisions, token usage, artifacts.' });
  }

  /** Sets the step (what the run is doing now) and publishes. */
  step(step: string): void {
    this.state.step = step;
    this.publish();
  }

  publish(): void {
    const s = this.state;
    const lines = [`**${s.phase}** — ${s.status.replace('_', ' ')}`, '', s.step];
    const open = s.gates.find((g) => g.status === 'pending');
    if (open) {
      lines.push('', `Waiting for a decision on gate \`${open.gate}\` (round ${open.round}): ${open.summary}`);
      lines.push('', `Approve: \`${open.approveCommand}\``);
      lines.push(`Reject: \`${open.approveCommand.replace(' approve ', ' reject ').replace(/ --gate .*$/, '')} --gate ${open.gate} --feedback "<what to change>"\``);
    }
    const calls = (s.details.toolCalls as ToolCallView[] | undefined)?.slice(-5) ?? [];
    if (calls.length) lines.push('', 'Latest tool calls:', ...calls.map((c) => `- step ${c.step}: ${c.args} — ${c.status}${c.result ? `: ${c.result}` : ''}${c.ms !== undefined ? ` (${c.ms} ms)` : ''}`));
    lines.push('', `Tokens so far: ${s.usage.totalTokens}`);
    wf.setCurrentDetails(lines.join('\n'));
    // The memo lets `aiml status` answer from describe() alone, with no worker running.
    const memo: RunMemo = {
      step: s.step,
      pendingGate: s.pendingGate,
      pendingGateWorkflowId: s.pendingGateWorkflowId,
      usage: s.usage,
      artifacts: s.artifacts,
      error: s.error,
      children: (s.details.children as RunMemo['children']) ?? undefined,
    };
    const memoJson = JSON.stringify(memo);
    if (memoJson !== this.lastMemo) {
      this.lastMemo = memoJson;
      wf.upsertMemo({ [RUN_MEMO_KEY]: memo });
    }
    this.tellParent();
    const attrs = JSON.stringify([s.phase, s.status, s.pendingGate !== null, s.usage.totalTokens]);
    if (attrs !== this.lastAttrs) {
      this.lastAttrs = attrs;
      wf.upsertSearchAttributes([
        { key: SA_PHASE, value: s.phase },
        { key: SA_STATUS, value: s.status },
        { key: SA_AWAITING_APPROVAL, value: s.pendingGate !== null },
        { key: SA_TOTAL_TOKENS, value: s.usage.totalTokens },
      ]);
    }
  }

  /**
   * A child run (of `ship`) tells its parent when its status or pending gate changes, so the
   * parent's state shows the child's gate and the CLI can route a decision to the child.
   */
  private tellParent(): void {
    const parent = wf.workflowInfo().parent;
    if (!parent) return;
    const s = this.state;
    const payload: ChildStatePayload = {
      workflowId: wf.workflowInfo().workflowId,
      phase: s.phase,
      status: s.status,
      step: s.step.slice(0, 300),
      pendingGate: s.pendingGate,
      totalTokens: s.usage.totalTokens,
    };
    const key = JSON.stringify([payload.status, payload.pendingGate]);
    if (key === this.lastToParent) return;
    this.lastToParent = key;
    wf.getExternalWorkflowHandle(parent.workflowId, parent.runId)
      .signal(childStateSignal, payload)
      .catch((err: unknown) => wf.log.warn('could not tell the parent run about a state change', { error: String(err) }));
  }

  /** Marks the run failed (for the search attribute) and returns the error to rethrow. */
  fail(err: unknown): unknown {
    this.state.status = wf.isCancellation(err) ? 'cancelled' : 'failed';
    this.state.error = err instanceof Error ? err.message : String(err);
    this.state.pendingGate = null;
    this.state.step = this.state.status === 'cancelled' ? 'cancelled' : `failed: ${this.state.error}`;
    this.publish();
    return err;
  }
}
