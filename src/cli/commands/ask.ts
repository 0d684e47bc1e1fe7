import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildWorkflowId, designWorkflowId, WORKFLOW_TYPES, type BuildInput, type DesignInput, type DesignResult } from '../../contracts';
import { llmConfigured, loadLlmConfig } from '../../config';
import { AimlError } from '../../errors';
import { LlmGateway } from '../../llm/gateway';
import { detectPhase, type Phase, type PhaseDecision } from '../../phase/detect';
import { type CliContext, printJson } from '../context';
import { parseSpecPath, parseWorkspace, shortId } from '../options';
import { startRun } from '../start-run';
import { addBuildOptions, buildSettings, parseApproval, specFromDesign, type BuildFlags } from './build';
import { approvalPolicy } from './design';

interface AskFlags extends BuildFlags {
  phase?: string;
  dryRun?: boolean;
}

function parsePhase(value: string | undefined): Phase | undefined {
  if (value === undefined) return undefined;
  if (value !== 'design' && value !== 'build') throw new AimlError('USAGE', `--phase must be design or build, got "${value}"`);
  return value;
}

/** The spec a BUILD request builds from: --spec, --from, the latest completed design of this workspace, or its SPECS.md. */
async function findSpec(ctx: CliContext, flags: AskFlags, workspace: string): Promise<{ specPath: string; designRunId?: string; why: string }> {
  if (flags.spec) return { specPath: parseSpecPath(flags.spec, process.cwd(), ctx.env), why: `--spec ${flags.spec}` };
  if (flags.from) return { ...(await specFromDesign(ctx, flags.from)), designRunId: flags.from, why: `--from ${flags.from}` };
  const aiml = await ctx.aiml();
  for (const run of await aiml.list({ status: 'completed', limit: 50 })) {
    if (run.type !== 'design') continue;
    const result = await aiml.result<DesignResult>(run.workflowId);
    if (result.specPath && path.dirname(result.specPath) === workspace) return { specPath: result.specPath, designRunId: run.workflowId, why: `the latest completed design run, ${run.workflowId}` };
  }
  // The workspace SPECS.md, looked for on this machine and sent as the worker sees it.
  const specs = path.resolve(flags.workspace ?? '.', 'SPECS.md');
  if (fs.existsSync(specs)) return { specPath: parseSpecPath(specs, process.cwd(), ctx.env), why: 'the workspace SPECS.md' };
  throw new AimlError('USAGE', `This is a BUILD request, but there is no spec to build from: no completed design run for ${workspace} and no SPECS.md there. Design first (aiml ask --phase design "…"), or give --spec PATH or --from <designRunId>`);
}

function describeDecision(d: PhaseDecision): string {
  const by = d.by === 'rules' ? 'by the phase indicators' : d.by === 'llm' ? 'by the model (the rules could not tell)' : 'as told';
  return `${d.phase.toUpperCase()} request, ${by}: ${d.reasons.join('; ')}`;
}

export function registerAsk(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('ask')
    .description('Decide whether a request is DESIGN or BUILD work (the role\'s phase indicators), say which and why, and start it')
    .argument('<request>', 'what you want, in words')
    .option('--phase <phase>', 'design or build: skip the detection')
    .option('--dry-run', 'only say which phase and why; start nothing')
    .option('--spec <path>', 'for a BUILD request: the spec to build from')
    .option('--from <designRunId>', 'for a BUILD request: build from this completed design run')
    .option('--workspace <dir>', 'target repository (default: current directory)');
  addBuildOptions(cmd).action(async (request: string, flags: AskFlags) => {
    if (!request.trim()) throw new AimlError('USAGE', 'The request is empty');
    const override = parsePhase(flags.phase);
    const llm = !override && llmConfigured(ctx.env) ? new LlmGateway(loadLlmConfig(ctx.env)) : undefined;
    const decision = await detectPhase(request, { override, llm, model: flags.model });
    if (flags.dryRun) {
      if (flags.json) printJson(ctx, decision);
      else ctx.out(describeDecision(decision));
      return;
    }
    ctx.err(describeDecision(decision));
    const workspace = parseWorkspace(flags.workspace);
    if (decision.phase === 'design') {
      const input: DesignInput = { brief: request, workspace, approval: approvalPolicy(flags) };
      if (flags.kb) input.kb = flags.kb;
      if (flags.model) input.model = flags.model;
      const runBudget = buildSettings(flags).runBudget;
      if (runBudget) input.runBudget = runBudget;
      await startRun(ctx, WORKFLOW_TYPES.design, flags.id ?? designWorkflowId(shortId()), input, flags);
      return;
    }
    const spec = await findSpec(ctx, flags, workspace);
    ctx.err(`Building from ${spec.specPath} (${spec.why}).`);
    const input: BuildInput = { specPath: spec.specPath, workspace, approval: parseApproval(flags.approve, flags.autoApprove), ...buildSettings(flags) };
    if (spec.designRunId) input.designRunId = spec.designRunId;
    await startRun(ctx, WORKFLOW_TYPES.build, flags.id ?? buildWorkflowId(shortId()), input, flags);
  });
}
