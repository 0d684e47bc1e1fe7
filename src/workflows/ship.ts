import * as wf from '@temporalio/workflow';
import { childStateSignal, type BuildInput, type BuildResult, type ChildStatePayload, type ShipInput, type ShipResult } from '../contracts/build';
import type { DesignInput, DesignResult } from '../contracts/design';
import { approveSignal, decideUpdate, rejectSignal, type DecideInput } from '../contracts/messages';
import { addUsage, ZERO_USAGE, type GateDecision } from '../contracts/run';
import { RunTracker } from './run-state';

/**
 * SHIP: one run from brief to applied code. Runs `design` and then `build` as child workflows;
 * the children's gates stay theirs, and this run's state names the pending gate and the child
 * that owns it, so `aiml approve <ship id>` (and signals sent here from the UI) reach the child.
 */
export async function ship(input: ShipInput): Promise<ShipResult> {
  const id = wf.workflowInfo().workflowId;
  const children: Record<string, string> = { design: `${id}-design` };
  const childStates: Record<string, ChildStatePayload> = {};
  const run = new RunTracker('ship', { details: { children, childStates, brief: input.brief.slice(0, 200) } });

  wf.setHandler(
    childStateSignal,
    (p) => {
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
      (p) => {
        const target = run.state.pendingGateWorkflowId;
        if (!target) {
          run.state.ignoredDecisions.push({ at: new Date(Date.now()).toISOString(), decision, gate: p.gate, by: p.by, reason: 'no child gate is waiting' });
          return;
        }
        void wf.getExternalWorkflowHandle(target).signal(signal as typeof rejectSignal, p).catch((err: unknown) => wf.log.warn(`could not forward ${decision}`, { error: String(err) }));
      },
      { description: `${decision === 'approve' ? 'Approve' : 'Reject (with feedback)'} the pending gate of the child that waits; forwarded to it.` },
    );
  }
  wf.setHandler(decideUpdate, (_input: DecideInput): GateDecision => {
    throw new Error('unreachable: refused by the validator');
  }, {
    validator: (_input: DecideInput) => {
      const target = run.state.pendingGateWorkflowId;
      throw new Error(
        target
          ? `this is a ship run: the pending gate "${run.state.pendingGate}" belongs to ${target}; send the decision there (aiml approve routes it)`
          : 'this is a ship run: no child gate is waiting for a decision',
      );
    },
    description: 'Refused with the child that owns the pending gate: decisions go to the child workflow.',
  });

  try {
    run.step('design: starting');
    const designInput: DesignInput = { brief: input.brief, workspace: input.workspace, approval: input.designApproval, model: input.model, kb: input.kb };
    const design: DesignResult = await wf.executeChild('design', {
      workflowId: children.design!,
      args: [designInput],
      staticSummary: `design: ${input.brief.slice(0, 100)}`,
    });
    run.state.usage = addUsage({ ...ZERO_USAGE }, design.usage);
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
    };
    const build: BuildResult = await wf.executeChild('build', { workflowId: children.build, args: [buildInput], staticSummary: `build from ${design.specPath}` });
    run.state.usage = addUsage(run.state.usage, build.usage);
    run.state.artifacts.push(...build.filesChanged.map((f) => `${input.workspace}/${f}`), build.reportPath);
    run.state.pendingGate = null;
    run.state.pendingGateWorkflowId = null;
    run.state.status = 'completed';
    run.step(`completed: spec ${design.specPath}; ${build.filesChanged.length} file(s) changed`);
    return { designRunId: children.design!, buildRunId: children.build, specPath: design.specPath, build, usage: run.state.usage };
  } catch (err) {
    throw run.fail(err);
  }
}
