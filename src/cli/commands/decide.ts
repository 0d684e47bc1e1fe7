import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { approveSignal, decideUpdate, rejectSignal, type DecideInput, type GateDecision } from '../../contracts';
import { AimlError } from '../../errors';
import { type CliContext, printJson, whoAmI } from '../context';
import { describeRun } from '../run-view';

export async function hasWorker(client: Client, namespace: string, taskQueue: string): Promise<boolean> {
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (res.pollers ?? []).length > 0;
}

/**
 * Sends a decision to the workflow that owns the pending gate (a `ship` run's child, say). With a
 * worker running it is an update, validated at once; with none, it is checked against the run's
 * memo and sent as a signal, which the run applies when a worker comes back.
 */
export async function decide(ctx: CliContext, id: string, input: DecideInput): Promise<{ decision?: GateDecision; queued?: boolean; workflowId: string }> {
  const client = await ctx.client();
  const view = await describeRun(client, id);
  if (view.closeTime) throw new AimlError('RUN_CLOSED', `Run "${id}" already ended (${view.status}); no gate is waiting for a decision`);
  const target = view.pendingGateWorkflowId ?? id;
  const handle = client.workflow.getHandle(target);
  const { taskQueue } = await handle.describe();
  if (await hasWorker(client, ctx.temporal().namespace, taskQueue)) {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new AimlError('NO_WORKER_ANSWER', `No worker answered within 20s on task queue "${taskQueue}"`)), 20_000).unref(),
    );
    const decision = await Promise.race([handle.executeUpdate(decideUpdate, { args: [input] }), timeout]);
    return { decision, workflowId: target };
  }
  if (!view.pendingGate) throw new AimlError('NO_PENDING_GATE', `Run "${id}" is not waiting for a decision (${view.step})`);
  if (input.gate && input.gate !== view.pendingGate) {
    throw new AimlError('GATE_MISMATCH', `Gate "${input.gate}" is not pending; the pending gate is "${view.pendingGate}"`);
  }
  if (input.decision === 'reject' && !input.stop && !input.feedback?.trim()) throw new AimlError('USAGE', 'A rejection needs --feedback saying what to change');
  const payload = { gate: input.gate ?? view.pendingGate, by: input.by, comment: input.comment };
  if (input.decision === 'approve') await handle.signal(approveSignal, { ...payload, ...(input.remember ? { remember: input.remember } : {}) });
  else await handle.signal(rejectSignal, { ...payload, feedback: input.feedback ?? '', ...(input.stop ? { stop: true } : {}) });
  return { queued: true, workflowId: target };
}

function report(ctx: CliContext, json: boolean | undefined, r: Awaited<ReturnType<typeof decide>>): void {
  if (json) return printJson(ctx, r);
  if (r.queued) ctx.out(`No worker is running: the decision was sent to ${r.workflowId} as a signal and applies when a worker starts.`);
  else ctx.out(`${r.decision!.decision === 'approve' ? 'Approved' : 'Rejected'} ${r.decision!.gate} (round ${r.decision!.round}) of ${r.workflowId} as ${r.decision!.by}`);
}

export function registerDecide(program: Command, ctx: CliContext): void {
  program
    .command('approve')
    .description('Approve the pending gate of a run')
    .argument('<id>', 'workflow id')
    .option('--gate <gate>', 'gate to approve (default: the pending one)')
    .option('--comment <text>', 'a comment kept with the decision')
    .option('--remember-pattern', "at a build command gate: also allow the command's pattern (e.g. `npm test*`) for the rest of the run")
    .option('--by <name>', 'who decides (default: AIML_USER or the OS user)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, f: { gate?: string; comment?: string; by?: string; json?: boolean; rememberPattern?: boolean }) => {
      const remember = f.rememberPattern ? { remember: 'pattern' as const } : {};
      report(ctx, f.json, await decide(ctx, id, { decision: 'approve', gate: f.gate, comment: f.comment, by: whoAmI(ctx.env, f.by), ...remember }));
    });
  program
    .command('reject')
    .description('Reject the pending gate with feedback; the run redoes it with the feedback')
    .argument('<id>', 'workflow id')
    .option('--feedback <text>', 'what should change (required unless --stop)')
    .option('--stop', "at a build step's tool or budget gate: end the step instead")
    .option('--gate <gate>', 'gate to reject (default: the pending one)')
    .option('--comment <text>', 'a comment kept with the decision')
    .option('--by <name>', 'who decides (default: AIML_USER or the OS user)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, f: { gate?: string; comment?: string; by?: string; feedback?: string; json?: boolean; stop?: boolean }) => {
      if (!f.stop && !f.feedback?.trim()) throw new AimlError('USAGE', '--feedback must say what to change (or use --stop)');
      report(ctx, f.json, await decide(ctx, id, { decision: 'reject', gate: f.gate, comment: f.comment, feedback: f.feedback, by: whoAmI(ctx.env, f.by), ...(f.stop ? { stop: true } : {}) }));
    });
}
