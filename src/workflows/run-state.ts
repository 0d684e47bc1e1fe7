import * as wf from '@temporalio/workflow';
import type { RedactionSummary } from '../contracts/security';
import { SA_AWAITING_APPROVAL, SA_COST_USD, SA_PHASE, SA_STATUS, SA_TOTAL_TOKENS } from '../contracts/search-attributes';
import { addUsage, RUN_MEMO_KEY, ZERO_USAGE, type IgnoredDecision, type Phase, type RunMemo, type RunState, type Usage } from '../contracts/run';
import { decisionCommands } from '../contracts/decision';
import { LIMITS } from '../contracts/limits';
import { shown } from '../contracts/schema';
import { stateQuery } from '../contracts/messages';
import { childStateSignal, type ChildStatePayload } from '../contracts/build';
import type { ToolCallView } from '../contracts/agent';
import { llmMemo, providerLine, type LlmRunView } from '../contracts/llm';

/** Since this patch the memo carries the gate rounds, so a decision can be checked with no worker. */
export const MEMO_GATES_PATCH = 'memo-gates';
/** Since this patch the run's cost is a search attribute (AimlCostUsd). */
export const COST_ATTR_PATCH = 'cost-attr';

/**
 * Owns a workflow's RunState: answers the `state` query, keeps the UI's current-details panel
 * and the search attributes in step with it (upserting only what changed).
 */
export class RunTracker<P extends Phase = Phase> {
  readonly state: RunState<P>;
  private lastAttrs = '';
  private lastMemo = '';
  private lastToParent = '';

  constructor(phase: P, initial: Partial<RunState<P>> & Pick<RunState<P>, 'details'>) {
    this.state = {
      phase,
      status: 'running',
      step: 'starting',
      pendingGate: null,
      pendingGateWorkflowId: null,
      gates: [],
      ignoredDecisions: [],
      ignoredTotal: 0,
      usage: { ...ZERO_USAGE },
      artifacts: [],
      error: null,
      ...initial,
    };
    // The query answers any phase's state; callers narrow by `phase`.
    wf.setHandler(stateQuery, () => this.state as unknown as RunState, { description: 'The run: status, step, pending gate, decisions, token usage, artifacts.' });
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
      const commands = decisionCommands(wf.workflowInfo().workflowId, open.gate);
      lines.push('', `Approve: \`${commands.approve}\``);
      lines.push(`Reject: \`${commands.reject}\``);
    }
    const calls = ((s.details as { toolCalls?: ToolCallView[] }).toolCalls ?? []).slice(-5);
    if (calls.length) lines.push('', 'Latest tool calls:', ...calls.map((c) => `- step ${c.step}: ${c.args} — ${c.status}${c.result ? `: ${c.result}` : ''}${c.ms !== undefined ? ` (${c.ms} ms)` : ''}`));
    const llm = (s.details as { llm?: LlmRunView }).llm;
    if (llm?.last) lines.push('', `Model: ${providerLine(llm.last)}`);
    if (llm?.switchTotal) lines.push(`Provider switches: ${llm.switchTotal}`);
    lines.push('', `Tokens so far: ${s.usage.totalTokens}${s.usage.costUsd !== undefined ? ` · cost $${s.usage.costUsd.toFixed(4)}` : ''}`);
    const redacted = (s.details as { redactions?: RedactionSummary }).redactions;
    if (redacted) lines.push(`Credentials redacted from what the model saw: ${redacted.count} (${Object.keys(redacted.byRule).join(', ')})`);
    wf.setCurrentDetails(lines.join('\n'));
    // The memo lets `aiml status` answer from describe() alone, with no worker running.
    const memo: RunMemo = {
      step: s.step,
      pendingGate: s.pendingGate,
      pendingGateWorkflowId: s.pendingGateWorkflowId,
      usage: s.usage,
      artifacts: s.artifacts,
      error: s.error,
      children: (s.details as RunState['details']).children,
      ...(llm ? { llm: llmMemo(llm) } : {}),
    };
    const details = s.details as RunState['details'];
    if (details.budget) memo.budget = details.budget.limit;
    if (details.byPhase) memo.byPhase = details.byPhase;
    if (wf.patched(MEMO_GATES_PATCH)) {
      memo.gates = s.gates.map((g) => ({
        gate: g.gate,
        round: g.round,
        status: g.status,
        ...(g.decision ? { decision: { decision: g.decision.decision, by: g.decision.by, at: g.decision.at } } : {}),
      }));
    }
    const memoJson = JSON.stringify(memo);
    if (memoJson !== this.lastMemo) {
      this.lastMemo = memoJson;
      wf.upsertMemo({ [RUN_MEMO_KEY]: memo });
    }
    this.tellParent();
    const cost = s.usage.costUsd !== undefined && wf.patched(COST_ATTR_PATCH) ? s.usage.costUsd : undefined;
    const attrs = JSON.stringify([s.phase, s.status, s.pendingGate !== null, s.usage.totalTokens, cost]);
    if (attrs !== this.lastAttrs) {
      this.lastAttrs = attrs;
      wf.upsertSearchAttributes([
        { key: SA_PHASE, value: s.phase },
        { key: SA_STATUS, value: s.status },
        { key: SA_AWAITING_APPROVAL, value: s.pendingGate !== null },
        { key: SA_TOTAL_TOKENS, value: s.usage.totalTokens },
        ...(cost !== undefined ? [{ key: SA_COST_USD, value: cost }] : []),
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

  /**
   * Records a signal that changed nothing (malformed, not applicable, or of an unknown name).
   * Keeps the latest LIMITS.ignoredKept and counts the rest, so a flood of junk cannot grow
   * the run's state without bound.
   */
  ignore(entry: Omit<IgnoredDecision, 'at'>): void {
    const s = this.state;
    wf.log.warn('signal ignored', { signal: entry.signal, reason: entry.reason });
    s.ignoredDecisions.push({ at: new Date(Date.now()).toISOString(), ...entry });
    if (s.ignoredDecisions.length > LIMITS.ignoredKept) s.ignoredDecisions.splice(0, s.ignoredDecisions.length - LIMITS.ignoredKept);
    s.ignoredTotal += 1;
    this.publish();
  }

  /** Signals with no handler are recorded as ignored instead of vanishing. Call after every handler is set. */
  recordUnknownSignals(): void {
    wf.setDefaultSignalHandler((name: string) => this.ignore({ signal: shown(name, 100), reason: `unknown signal "${shown(name, 100)}": this run accepts approve, reject and the decide update` }));
  }

  /** Marks the run failed (for the search attribute) and returns the error to rethrow. */
  fail(err: unknown): unknown {
    // The calls of the activity that failed (an answer malformed after its repair, cut twice) were spent too.
    const spent = failureSpent(err);
    if (spent) this.state.usage = addUsage(this.state.usage, spent);
    this.state.status = wf.isCancellation(err) ? 'cancelled' : 'failed';
    this.state.error = failureMessage(err);
    this.state.pendingGate = null;
    this.state.step = this.state.status === 'cancelled' ? 'cancelled' : `failed: ${this.state.error}`;
    this.publish();
    return err;
  }
}

/**
 * What the LLM calls of a failed activity spent, from its failure's details (set by the
 * activity's toFailure); undefined for other failures, a child run's included (the child counts
 * its own), and for details that are not such a record.
 */
export function failureSpent(err: unknown): Partial<Usage> | undefined {
  if (!(err instanceof wf.ActivityFailure) || !(err.cause instanceof wf.ApplicationFailure)) return undefined;
  const spent = (err.cause.details?.[0] as { spent?: unknown } | undefined)?.spent;
  if (typeof spent !== 'object' || spent === null) return undefined;
  const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  const s = spent as Record<string, unknown>;
  const [promptTokens, completionTokens, totalTokens, llmCalls] = [n(s.promptTokens), n(s.completionTokens), n(s.totalTokens), n(s.llmCalls)];
  if (promptTokens === undefined || completionTokens === undefined || totalTokens === undefined || llmCalls === undefined) return undefined;
  const llmMs = n(s.llmMs);
  const costUsd = n(s.costUsd);
  return { promptTokens, completionTokens, totalTokens, llmCalls, ...(llmMs !== undefined ? { llmMs } : {}), ...(costUsd !== undefined ? { costUsd } : {}) };
}

/**
 * The message that says why: an activity's or child run's failure wraps the cause ("Activity task
 * failed"), so the innermost cause's message is the one a person needs.
 */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while ((e instanceof wf.ActivityFailure || e instanceof wf.ChildWorkflowFailure) && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
