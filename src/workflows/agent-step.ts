import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import { matchesAllowList } from '../agent/tools/allow-list';
import type { AgentCall, AgentEditOutput, ToolResult } from '../activities/agent-types';
import { budgetGate, commandGate, commandPattern, DEFAULT_AGENT_BUDGET, TOOL_CALLS_SHOWN, type ToolCallView } from '../contracts/agent';
import { buildStepGate, type AgentLoopState, type BuildStepState, type StepRecord } from '../contracts/build';
import { addUsage, type GateDecision } from '../contracts/run';
import { AGENT_COMMAND_ACTIVITY, AGENT_LOCAL, BUILD_APPLY_ACTIVITY, IO_ACTIVITY, LLM_ACTIVITY } from './activity-options';
import { isBudgetStop } from './budget';
import { fixAttempt } from './metrics';
import { setStep, stoppedStep, type StepEnv } from './step-env';
import { noteProvider } from './llm-view';
import { AGENT_REPEAT_GATE_PATCH, STEP_LEADS_PATCH } from './patches';

const llm = wf.proxyActivities<Activities>(LLM_ACTIVITY);
const io = wf.proxyActivities<Activities>(IO_ACTIVITY);
const local = wf.proxyLocalActivities<Activities>(AGENT_LOCAL);
const checks = wf.proxyActivities<Activities>(BUILD_APPLY_ACTIVITY);
const commands = wf.proxyActivities<Activities>(AGENT_COMMAND_ACTIVITY);
/** Turns in a row that repeat their previous turn's calls to no effect before the step waits for a person. */
const REPEATED_TURNS_BEFORE_GATE = 3;

/** Thrown inside a step when a person stops it at a tool or budget gate. */
class StepStopped extends Error {}

/**
 * One plan step as an agent loop: a model turn (one activity, the conversation by reference) →
 * its tool calls (reads at once and concurrently, edits and commands in order, each an activity)
 * → their results go back in the next turn, until the model calls `finish_step` and the check
 * passes. Edits are gated per `--approve`, commands outside the allow-list always; the step's
 * budget running out is a gate too (extend, take over with feedback, or stop). With
 * `--verify shadow` the loop works in a throwaway copy and only a green step reaches the workspace.
 */
export async function agentStep(env: StepEnv, state: BuildStepState, carried?: AgentLoopState): Promise<StepRecord | { continueWith: AgentLoopState }> {
  const { input, limits, workflowId, gates, manual, remind, expected } = env;
  const n = state.n;
  const budget = { ...DEFAULT_AGENT_BUDGET, ...input.budget };
  const record: StepRecord = carried?.record ?? { proposalRefs: [], checkPassed: null };
  const set = (status: BuildStepState['status'], what: string): void => setStep(env, state, status, what);
  const views = (env.run.state.details.toolCalls ??= []);
  const shadow =
    input.verify !== 'shadow'
      ? undefined
      : carried?.shadowDir
        ? { dir: carried.shadowDir }
        : await io.agentShadow.executeWithOptions({ ...IO_ACTIVITY, summary: `step ${n}: shadow copy` }, [{ workflowId, workspace: input.workspace, step: n }]);
  const workspace = shadow?.dir ?? input.workspace;
  const shadowPaths = new Set<string>(carried?.shadowPaths);
  const shadowExpected: Record<string, string | null> = { ...carried?.shadowExpected };

  let conversationRef: string | undefined = carried?.conversationRef;
  let results: ToolResult[] = carried?.results ?? [];
  let notes: string[] = carried?.notes ?? [];
  let turn = carried?.turn ?? 0;
  let requireTool = carried?.requireTool ?? false;
  let lastCalls = ''; // the previous turn's calls (tools and argument refs), to tell a model that repeats its reads
  let repeats = 0; // turns in a row that repeated the turn before them exactly, to no effect
  let used = { turns: carried?.used.turns ?? 0, tokens: carried?.used.tokens ?? 0, since: Date.now() - (carried?.used.elapsedMs ?? 0) };
  let fixes = carried?.fixes ?? 0;
  let seq = carried?.seq ?? 0; // edits of this step, in order (journal order)
  let continuing = false; // the run continues as new: the shadow copy stays for the next run
  const firstTurn = turn;

  const gate = async (name: string, summary: string): Promise<GateDecision> => {
    const paused = Date.now();
    const d = await gates.wait({ gate: name, summary: summary.slice(0, 500), policy: manual, remind });
    used.since += Date.now() - paused; // time waiting for a person is not the step's time
    if (d.decision === 'reject' && d.stop) throw new StepStopped(`stopped by ${d.by} at ${name}`);
    return d;
  };
  // A call's view, found by its run-unique key: models repeat ids across turns (the local model
  // numbers each turn's calls from call_0), which once merged one turn's call into another's.
  const viewOf = new Map<string, ToolCallView>();
  const show = (call: AgentCall, patch: Partial<ToolCallView>): ToolCallView => {
    let v = viewOf.get(call.key);
    if (!v) {
      v = { step: n, turn, id: call.id, tool: call.name, args: call.summary.slice(0, 160), status: 'running' };
      viewOf.set(call.key, v);
      views.push(v);
      if (views.length > TOOL_CALLS_SHOWN) views.splice(0, views.length - TOOL_CALLS_SHOWN);
    }
    Object.assign(v, patch);
    env.run.publish();
    return v;
  };
  const finished = (call: AgentCall, started: number, ok: boolean, summary: string, result: ToolResult, status?: ToolCallView['status']): ToolResult => {
    show(call, { status: status ?? (ok ? 'ok' : 'error'), result: summary.slice(0, 160), resultChars: result.text?.length, ms: Date.now() - started });
    return result;
  };
  const text = (toolCallId: string, t: string): ToolResult => ({ toolCallId, text: t });
  // The step line (memo, `aiml status`) changes with the phase of the step, not every turn: each
  // change is a history event. Turns and tool calls show in the query state and the UI details.
  const working = (): string => (fixes ? `working on a fix (attempt ${fixes})` : 'working: model turns and tool calls');
  const ref = (c: AgentCall) => ({ id: c.id, key: c.key, name: c.name, argsRef: c.argsRef });

  /** An edit: prepared, gated with its diff under `--approve each` (not in a shadow), applied through the journal. */
  const edit = async (call: AgentCall): Promise<ToolResult> => {
    const started = Date.now();
    const gated = env.approval === 'each' && !shadow;
    show(call, {});
    const out: AgentEditOutput = await local.agentEdit.executeWithOptions({ ...AGENT_LOCAL, summary: call.summary.slice(0, 200) }, [
      { workflowId: shadow ? `${workflowId}.shadow` : workflowId, workspace, step: n, seq: ++seq, call: ref(call), expected: shadow ? shadowExpected : expected, apply: !gated },
    ]);
    if (out.kind === 'refused') return finished(call, started, false, out.summary, out.result);
    if (out.kind === 'conflict') {
      Object.assign(shadow ? shadowExpected : expected, out.actualHashes); // the model re-reads; the person's version is the base
      return finished(call, started, false, out.summary, out.result);
    }
    state.files = out.files;
    state.diffRef = out.diffRef;
    state.stat = out.stat;
    if (out.kind === 'proposed') {
      show(call, { status: 'awaiting_approval' });
      set('awaiting_approval', `${call.summary} waits for approval`);
      const d = await gate(buildStepGate(n), `step ${n} "${state.title}": ${call.summary} — ${out.files.map((f) => `${f.change} ${f.path}`).join(', ')} (+${out.stat.added} -${out.stat.removed}); see aiml diff ${workflowId} --step ${n}`);
      if (d.decision === 'reject') return finished(call, started, false, `rejected by ${d.by}`, text(call.id, `A reviewer rejected this edit; nothing was written. Their feedback:\n${d.feedback ?? ''}`), 'rejected');
      const applied = await local.agentApplyEdit.executeWithOptions({ ...AGENT_LOCAL, summary: `apply ${call.summary}`.slice(0, 200) }, [
        { workflowId, workspace, step: n, seq, callId: call.id, proposalRef: out.proposalRef },
      ]);
      set('generating', working());
      if (applied.kind === 'conflict') {
        Object.assign(expected, applied.actualHashes);
        return finished(call, started, false, applied.summary, applied.result);
      }
      Object.assign(expected, applied.afterHashes);
      state.appliedDiffRef = applied.appliedDiffRef;
      state.stat = applied.stat;
      record.proposalRefs.push(out.proposalRef);
      return finished(call, started, true, applied.summary, applied.result);
    }
    if (shadow) {
      out.files.forEach((f) => shadowPaths.add(f.path));
      Object.assign(shadowExpected, out.afterHashes);
    } else {
      Object.assign(expected, out.afterHashes);
      state.appliedDiffRef = out.appliedDiffRef;
      record.proposalRefs.push(out.proposalRef);
    }
    return finished(call, started, true, out.summary, out.result);
  };

  /** A command: allowed by the policy, or by a person at its gate (once, or for its pattern). */
  const command = async (call: AgentCall): Promise<ToolResult> => {
    const started = Date.now();
    const cmd = call.command ?? '';
    if (!call.allowListed && !matchesAllowList(cmd, env.allowCommands)) {
      show(call, { status: 'awaiting_approval' });
      set('awaiting_approval', `command "${cmd.slice(0, 80)}" waits for approval`);
      const pattern = commandPattern(cmd);
      const d = await gate(
        commandGate(n),
        `step ${n} wants to run \`${cmd.slice(0, 200)}\` (outside the allow-list). Approve once, approve with --remember-pattern to allow "${pattern}" for the rest of the run, reject with feedback, or reject --stop`,
      );
      set('generating', working());
      if (d.decision === 'reject') return finished(call, started, false, `rejected by ${d.by}`, text(call.id, `A reviewer did not allow this command; it was not run. Their feedback:\n${d.feedback ?? ''}`), 'rejected');
      if (d.remember === 'pattern' && !env.allowCommands.includes(pattern)) env.allowCommands.push(pattern);
    }
    show(call, { status: 'running' });
    const out = await commands.agentCommand.executeWithOptions(
      { ...AGENT_COMMAND_ACTIVITY, startToCloseTimeout: limits.checkTimeoutMs + 60_000, summary: call.summary.slice(0, 200) },
      [{ workflowId, workspace, step: n, call: ref(call), timeoutMs: limits.checkTimeoutMs }],
    );
    env.noteRedactions(out.redactions);
    return finished(call, started, out.ok, out.summary, out.result, out.summary.startsWith('interrupted') ? 'interrupted' : undefined);
  };

  /** finish_step: run the check (in the shadow, then promote a green step); red goes back to the model. */
  const finish = async (call: AgentCall): Promise<ToolResult | 'done' | 'accepted'> => {
    const started = Date.now();
    show(call, {});
    state.attempts += 1;
    if (call.finishRef) record.proposalRefs.push(call.finishRef);
    if (env.checkCommand) {
      set('applying', `running ${env.checkCommand}`);
      const res = await checks.agentCheck.executeWithOptions(
        { ...BUILD_APPLY_ACTIVITY, startToCloseTimeout: limits.checkTimeoutMs + 120_000, summary: `step ${n}: ${env.checkCommand}`.slice(0, 200) },
        [{ workspace, command: env.checkCommand, timeoutMs: limits.checkTimeoutMs }],
      );
      env.noteRedactions(res.redactions);
      state.check = res.check;
      record.checkPassed = res.check.passed;
      if (!res.check.passed) {
        fixes += 1;
        fixAttempt('agent');
        state.problem = `check failed (exit ${res.check.exitCode ?? 'killed'}${res.check.timedOut ? ', timed out' : ''}):\n${res.check.excerpt}`.slice(0, 2000);
        if (fixes > limits.maxFixAttempts) {
          set('stuck', `stopped: check failed after ${fixes} attempt(s)`);
          const d = await gate(buildStepGate(n), `step ${n} "${state.title}" stopped: check failed after ${fixes} attempt(s) (exit ${res.check.exitCode ?? 'killed'}):\n${res.check.excerpt}`);
          fixes = 0;
          if (d.decision === 'approve') {
            if (!shadow || (await promote(d.by))) {
              finished(call, started, false, `accepted failing by ${d.by}`, { ...res.result, toolCallId: call.id });
              set('accepted_failing', `accepted by ${d.by} with a failing check`);
              return 'accepted';
            }
          } else notes.push(`A reviewer looked at the failing check and says:\n${d.feedback ?? ''}`);
        }
        set('generating', `fixing the check (attempt ${fixes})`);
        return finished(call, started, false, `check failed · exit ${res.check.exitCode ?? 'killed'}`, { ...res.result, toolCallId: call.id });
      }
    }
    state.problem = undefined;
    if (shadow && !(await promote())) return finished(call, started, false, 'not applied', text(call.id, 'The reviewer did not accept the step yet; see their feedback.'));
    finished(call, started, true, env.checkCommand ? 'check passed' : 'done', text(call.id, 'ok'));
    return 'done';
  };

  /** Shadow mode: the step's net change goes to the real workspace (gated with its diff under `each`). */
  const promote = async (acceptedBy?: string): Promise<boolean> => {
    if (!shadow || shadowPaths.size === 0) return true;
    seq += 1;
    const out = await local.agentPromote.executeWithOptions({ ...AGENT_LOCAL, summary: `step ${n}: diff of the verified step` }, [
      { workflowId, workspace: input.workspace, shadowDir: shadow.dir, step: n, seq, paths: [...shadowPaths].sort(), expected },
    ]);
    if (out.kind !== 'proposed' && out.kind !== 'applied') {
      notes.push(out.result.text ?? 'The verified step could not be applied.');
      return false;
    }
    state.files = out.files;
    state.diffRef = out.diffRef;
    if (env.approval === 'each' && !acceptedBy) {
      set('awaiting_approval', `verified diff ready (${out.files.length} file(s), +${out.stat.added} -${out.stat.removed})`);
      const d = await gate(buildStepGate(n), `step ${n} "${state.title}" (check green in a shadow copy): ${out.files.map((f) => `${f.change} ${f.path}`).join(', ')} (+${out.stat.added} -${out.stat.removed}); see aiml diff ${workflowId} --step ${n}`);
      if (d.decision === 'reject') {
        notes.push(`A reviewer rejected the step's diff; nothing reached the workspace. Their feedback:\n${d.feedback ?? ''}`);
        return false;
      }
    }
    const applied = await local.agentApplyEdit.executeWithOptions({ ...AGENT_LOCAL, summary: `step ${n}: apply the verified step` }, [
      { workflowId, workspace: input.workspace, step: n, seq, callId: `promote-${seq}`, proposalRef: out.proposalRef },
    ]);
    if (applied.kind === 'conflict') {
      Object.assign(expected, applied.actualHashes);
      notes.push(applied.result.text ?? 'conflict');
      return false;
    }
    Object.assign(expected, applied.afterHashes);
    state.appliedDiffRef = applied.appliedDiffRef;
    state.stat = applied.stat;
    record.proposalRefs.push(out.proposalRef);
    return true;
  };

  // Where the step's code probably is, for its first message (a step carried over has its conversation).
  const leads =
    !carried && wf.patched(STEP_LEADS_PATCH)
      ? (await local.agentLeads.executeWithOptions({ ...AGENT_LOCAL, summary: `step ${n}: where to look first` }, [{ workspace, planRef: env.planRef, specRef: env.specRef, step: n }])).leads
      : undefined;

  try {
    for (;;) {
      // A long history: continue as new between turns, the conversation by reference.
      if (turn > firstTurn && env.continueDue()) {
        continuing = true;
        return {
          continueWith: {
            ...(conversationRef ? { conversationRef } : {}),
            results,
            notes,
            turn,
            ...(requireTool ? { requireTool } : {}),
            used: { turns: used.turns, tokens: used.tokens, elapsedMs: Date.now() - used.since },
            fixes,
            seq,
            record,
            ...(shadow ? { shadowDir: shadow.dir } : {}),
            shadowPaths: [...shadowPaths],
            shadowExpected,
          },
        };
      }
      // The step's own budget: out of it, a person decides (never a silent cut-off). So they do when
      // the model goes in circles, making the same calls to no effect turn after turn despite what
      // it is told (a small model can do that until its budget runs out, minutes of turns for nothing).
      const overBy = used.turns >= budget.maxTurns ? `${used.turns} turns` : used.tokens >= budget.maxTokens ? `${used.tokens} tokens` : Date.now() - used.since >= budget.maxWallMs ? `${Math.round((Date.now() - used.since) / 1000)} s` : undefined;
      const circling = !overBy && repeats >= REPEATED_TURNS_BEFORE_GATE && wf.patched(AGENT_REPEAT_GATE_PATCH);
      if (overBy || circling) {
        set('stuck', circling ? `the same calls to no effect ${repeats + 1} turns in a row` : `budget spent (${overBy})`);
        const d = await gate(
          budgetGate(n),
          circling
            ? `step ${n} "${state.title}" is going in circles: the same calls to no effect ${repeats + 1} turns in a row. Approve to let it go on, reject with feedback to take over, reject --stop to end the step`
            : `step ${n} "${state.title}" spent its budget (${overBy}; limits: ${budget.maxTurns} turns, ${budget.maxTokens} tokens, ${Math.round(budget.maxWallMs / 1000)} s). Approve to extend, reject with feedback to take over, reject --stop to end the step`,
        );
        if (d.decision === 'reject') notes.push(`A reviewer takes over; follow their instructions:\n${d.feedback ?? ''}`);
        if (overBy) used = { turns: 0, tokens: 0, since: Date.now() };
        repeats = 0;
      }
      await env.budget(`step ${n}`);
      turn += 1;
      set('generating', working());
      const t = await llm.agentTurn.executeWithOptions({ ...env.shared(LLM_ACTIVITY), summary: `step ${n}: turn ${turn}` }, [
        {
          conversationRef,
          start: conversationRef ? undefined : { specRef: env.specRef, planRef: env.planRef, step: n, checkCommand: env.checkCommand, policy: policyLine(env), ...(leads ? { leads } : {}) },
          step: n,
          turn,
          results,
          notes,
          allowCommands: env.allowCommands,
          model: input.model,
          kb: Boolean(input.kb),
          ...(requireTool ? { requireTool: true } : {}),
        },
      ]);
      conversationRef = t.conversationRef;
      env.run.state.usage = addUsage(env.run.state.usage, t.usage);
      noteProvider(env.run, t.provider);
      used.turns += 1;
      used.tokens += t.usage.totalTokens;
      results = [];
      notes = [];
      // An answer in words only: from the next turn on, this step's turns must call a tool (a
      // small model at temperature 0 otherwise gives the same words again, turn after turn).
      if (t.calls.length === 0) {
        requireTool = true;
        notes.push('Use the tools to do the step, then call finish_step with a summary.');
        continue;
      }
      const calls = t.calls.map((c) => `${c.name} ${c.argsRef}`).join('\n');
      const sameAsLast = calls === lastCalls;
      // Only reads: a repeated edit or command can give a different result.
      if (sameAsLast && t.calls.every((c) => c.kind === 'read')) {
        notes.push("These calls repeat your previous turn's exactly (same tools, same arguments): their results are above and will not change. Do the step's work now: edit the files, run the check, or call finish_step.");
      }
      lastCalls = calls;
      const byKey = new Map<string, ToolResult>(); // by the call's run-unique key: a model's ids may repeat
      const reads = t.calls.filter((c) => c.kind === 'read');
      await Promise.all(
        reads.map(async (call) => {
          const started = Date.now();
          show(call, {});
          const out = await local.agentRead.executeWithOptions({ ...AGENT_LOCAL, summary: call.summary.slice(0, 200) }, [{ workspace, call: ref(call), kb: input.kb }]);
          env.noteRedactions(out.redactions);
          byKey.set(call.key, finished(call, started, out.ok, out.summary, out.result));
        }),
      );
      let done = false;
      for (const call of t.calls) {
        if (call.kind === 'read') continue;
        if (done) {
          byKey.set(call.key, text(call.id, 'Not run: the step was already finished.'));
        } else if (call.kind === 'invalid') {
          show(call, {});
          byKey.set(call.key, finished(call, Date.now(), false, call.error ?? 'invalid call', text(call.id, `Error: ${call.error}`)));
        } else if (call.kind === 'edit') {
          byKey.set(call.key, await edit(call));
        } else if (call.kind === 'command') {
          byKey.set(call.key, await command(call));
        } else {
          const r = await finish(call);
          if (r === 'accepted') return record;
          if (r === 'done') done = true;
          else byKey.set(call.key, r);
        }
      }
      if (done) {
        set('passed', env.checkCommand ? 'check passed' : 'finished (no check command)');
        return record;
      }
      // Going in circles: the previous turn's calls again, and again to no effect (reads, invalid
      // calls, edits refused as before). Applied edits and commands can differ from run to run.
      const noEffect = t.calls.every((c) => c.kind === 'read' || ((c.kind === 'edit' || c.kind === 'invalid') && viewOf.get(c.key)?.status === 'error'));
      repeats = sameAsLast && noEffect ? repeats + 1 : 0;
      results = t.calls.map((c) => byKey.get(c.key) ?? text(c.id, 'Not run.'));
    }
  } catch (err) {
    if (err instanceof StepStopped) {
      set(record.proposalRefs.length ? 'stopped' : 'skipped', err.message);
      return record;
    }
    if (isBudgetStop(err)) return stoppedStep(env, state, record, err);
    throw err;
  } finally {
    if (shadow && !continuing) {
      await wf.CancellationScope.nonCancellable(() =>
        io.agentShadowDispose.executeWithOptions({ ...IO_ACTIVITY, summary: `step ${n}: remove the shadow copy` }, [{ workspace: input.workspace, dir: shadow.dir }]),
      );
    }
  }
}

function policyLine(env: StepEnv): string {
  return [
    'read tools run freely',
    env.approval === 'each' ? 'each edit waits for a reviewer with its diff' : 'edits are applied without a gate',
    `commands run without a gate only if they match: ${env.allowCommands.length ? env.allowCommands.map((c) => `\`${c}\``).join(', ') : '(nothing)'}; any other command waits for a reviewer`,
  ].join('; ');
}
