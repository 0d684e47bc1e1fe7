import * as wf from '@temporalio/workflow';
import { childStateSignal, type BuildInput, type BuildResult, type ChildStatePayload, type ShipInput, type ShipResult } from '../contracts/build';
import type { DesignInput, DesignResult } from '../contracts/design';
import { approveSignal, decideUpdate, rejectSignal, type RejectPayload } from '../contracts/messages';
import { parseApprove, parseChildState, parseReject } from '../contracts/parse';
import { parseShipInput } from '../contracts/parse-inputs';
import { shown } from '../contracts/schema';
import { addUsage, ZERO_USAGE, type GateDecision } from '../contracts/run';
import { ROUTING_MEMO_KEY } from '../contracts/routing';
import { remaining } from '../contracts/budget';
import { validInput } from './boundary';
import { RunTracker } from './run-state';
import { decidePatchesAtStart, SHIP_PATCHES } from './patches';

/**
 * SHIP: one run from brief to applied code. Runs `design` and then `build` as child workflows;
 * the children's gates stay theirs, and this run's state names the pending gate and the child
 * that owns it, so `aiml approve <ship id>` (and signals sent here from the UI) reach the child.
 */
export async function ship(raw: ShipInput): Promise<ShipResult> {
  decidePatchesAtStart(SHIP_PATCHES);
  const input = validInput(parseShipInput(raw));
  const id = wf.workflowInfo().workflowId;
  const children: Record<string, string> = { design: `${id}-design` };
  const childStates: Record<string, ChildStatePayload> = {};
  const run = new RunTracker('ship', { details: { children, childStates, brief: input.brief.slice(0, 200), ...(input.routing ? { host: input.routing.host } : {}) } });
  // Both children run on this run's queue (the host's, when routed) and route their model calls the same way.
  const routed = input.routing ? { routing: input.routing, memo: { [ROUTING_MEMO_KEY]: input.routing } } : undefined;

  wf.setHandler(
    childStateSignal,
    (raw: unknown) => {
      const parsed = parseChildState(raw);
      const known = parsed.ok && Object.values(children).includes(parsed.value.workflowId);
      if (!parsed.ok || !known) {
        run.ignore({ signal: 'childState', reason: parsed.ok ? `childState from "${shown(parsed.value.workflowId)}", which is not a child of this run` : parsed.reason });
        return;
      }
      const p = parsed.value;
      childStates[p.phase] = p;
      run.state.pendingGate = p.pendingGate;
      run.state.pendingGateWorkflowId = p.pendingGate ? p.workflowId : null;
      run.state.status = p.pendingGate ? 'awaiting_approval' : 'running';
      run.step(`${p.phase}: ${p.step}`);
    },
    { description: 'A child run reports its status and pending gate (sent by the design and build children).' },
  );
  // Decisions sent here (say from the Temporal UI) go on to the child whose gate waits.
  for (const [signal, decision] of [
    [approveSignal, 'approve'],
    [rejectSignal, 'reject'],
  ] as const) {
    wf.setHandler(
      signal as typeof rejectSignal,
      (raw: unknown) => {
        const parsed = decision === 'approve' ? parseApprove(raw) : parseReject(raw);
        const target = run.state.pendingGateWorkflowId;
        if (!parsed.ok || !target) {
          run.ignore({ signal: decision, decision, ...(parsed.ok ? { gate: parsed.value.gate, by: parsed.value.by } : {}), reason: parsed.ok ? 'no child gate is waiting' : parsed.reason });
          return;
        }
        void wf.getExternalWorkflowHandle(target).signal(signal as typeof rejectSignal, parsed.value as RejectPayload).catch((err: unknown) => wf.log.warn(`could not forward ${decision}`, { error: String(err) }));
      },
      { description: `${decision === 'approve' ? 'Approve' : 'Reject (with feedback)'} the pending gate of the child that waits; forwarded to it.` },
    );
  }
  wf.setHandler(decideUpdate, (_raw: unknown): GateDecision => {
    throw wf.ApplicationFailure.nonRetryable('unreachable: refused by the validator', 'DECISION_REFUSED');
  }, {
    validator: (_raw: unknown) => {
      const target = run.state.pendingGateWorkflowId;
      throw new Error(
        target
          ? `this is a ship run: the pending gate "${run.state.pendingGate}" belongs to ${target}; send the decision there (aiml approve routes it)`
          : 'this is a ship run: no child gate is waiting for a decision',
      );
    },
    description: 'Refused with the child that owns the pending gate: decisions go to the child workflow.',
  });
  run.recordUnknownSignals();

  try {
    run.step('design: starting');
    const designInput: DesignInput = { brief: input.brief, workspace: input.workspace, approval: input.designApproval, model: input.model, kb: input.kb, force: input.force, ...(input.runBudget ? { runBudget: input.runBudget } : {}), ...(routed ? { routing: routed.routing } : {}) };
    const design: DesignResult = await wf.executeChild('design', {
      workflowId: children.design!,
      args: [designInput],
      staticSummary: `design: ${input.brief.slice(0, 100)}`,
      ...(routed ? { memo: routed.memo } : {}),
    });
    run.state.usage = addUsage({ ...ZERO_USAGE }, design.usage);
    run.state.details.byPhase = { design: design.usage };
    if (design.specPath === null) {
      // Stopped at the design's budget gate: nothing to build; this run ends cleanly too.
      run.state.pendingGate = null;
      run.state.pendingGateWorkflowId = null;
      run.state.status = 'completed';
      run.step(`design: ${design.stopped ?? 'stopped'}`);
      return { designRunId: children.design!, buildRunId: null, specPath: null, build: null, usage: run.state.usage, stopped: design.stopped };
    }
    run.state.artifacts.push(design.specPath);

    children.build = `${id}-build`;
    run.step('build: starting');
    const buildInput: BuildInput = {
      specPath: design.specPath,
      designRunId: children.design,
      workspace: input.workspace,
      approval: input.buildApproval,
      gatePolicy: input.gatePolicy,
      checkCommand: input.checkCommand,
      limits: input.limits,
      model: input.model,
      kb: input.kb,
      policy: input.policy,
      budget: input.budget,
      verify: input.verify,
      force: input.force,
      ...(routed ? { routing: routed.routing } : {}),
      // What design left of the budget (its top-ups included) is what build may spend.
      ...(design.budget ? { runBudget: remaining(design.budget, design.usage) } : {}),
    };
    const build: BuildResult = await wf.executeChild('build', {
      workflowId: children.build,
      args: [buildInput],
      staticSummary: `build from ${design.specPath}`,
      ...(routed ? { memo: routed.memo } : {}),
    });
    run.state.usage = addUsage(run.state.usage, build.usage);
    run.state.details.byPhase = { design: design.usage, build: build.usage };
    run.state.artifacts.push(...build.filesChanged.map((f) => `${input.workspace}/${f}`), ...(build.reportPath ? [build.reportPath] : []));
    run.state.pendingGate = null;
    run.state.pendingGateWorkflowId = null;
    run.state.status = 'completed';
    run.step(build.stopped ? `build: ${build.stopped}` : `completed: spec ${design.specPath}; ${build.filesChanged.length} file(s) changed`);
    return { designRunId: children.design!, buildRunId: children.build, specPath: design.specPath, build, usage: run.state.usage, ...(build.stopped ? { stopped: build.stopped } : {}) };
  } catch (err) {
    throw run.fail(err);
  }
}
