import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { BUILD_APPROVALS, buildWorkflowId, type BuildApproval, type BuildInput, type BuildLimits, type DesignResult } from '../../contracts';
import { AimlError, isAimlError } from '../../errors';
import type { CliContext } from '../context';
import { parsePositiveInt, parseSpecPath, parseWorkspace, shortId } from '../options';
import { startRun } from '../start-run';
import { addBudgetOptions, runBudgetFrom, type BudgetFlags } from '../budget-options';
import { addApprovalOptions, approvalPolicy, type ApprovalFlags } from './design';

export interface BuildFlags extends ApprovalFlags, BudgetFlags {
  spec?: string;
  from?: string;
  workspace?: string;
  approve?: string;
  check?: string;
  maxSteps?: string;
  maxFixAttempts?: string;
  tokenBudget?: string;
  model?: string;
  kb?: string;
  id?: string;
  wait?: boolean;
  json?: boolean;
  force?: boolean;
  allow?: string[];
  verify?: string;
  stepTurns?: string;
  stepTokens?: string;
  stepMinutes?: string;
}

export function parseApproval(value: string | undefined, autoApprove?: boolean): BuildApproval {
  if (autoApprove) return 'none';
  if (value === undefined) return 'each';
  if (!(BUILD_APPROVALS as readonly string[]).includes(value)) throw new AimlError('USAGE', `--approve must be one of ${BUILD_APPROVALS.join(', ')}, got "${value}"`);
  return value as BuildApproval;
}

export function parseLimits(flags: Pick<BuildFlags, 'maxSteps' | 'maxFixAttempts' | 'tokenBudget'>): BuildLimits | undefined {
  const limits: BuildLimits = {};
  if (flags.maxSteps) limits.maxSteps = parsePositiveInt('--max-steps', flags.maxSteps);
  if (flags.maxFixAttempts !== undefined) {
    const n = Number(flags.maxFixAttempts);
    if (!Number.isInteger(n) || n < 0) throw new AimlError('USAGE', `--max-fix-attempts must be a whole number (0 or more), got "${flags.maxFixAttempts}"`);
    limits.maxFixAttempts = n;
  }
  if (flags.tokenBudget) limits.tokenBudget = parsePositiveInt('--token-budget', flags.tokenBudget);
  return Object.keys(limits).length ? limits : undefined;
}

export function addBuildOptions(cmd: Command): Command {
  return addApprovalOptions(
    addBudgetOptions(cmd)
      .option('--approve <policy>', 'which gates wait for you: each (plan and every step, default), plan (the plan only), none')
      .option('--check <command>', 'check command run after each step (default: detected, e.g. npm test); "" for none')
      .option('--max-steps <n>', 'most steps a plan may have (default 12)')
      .option('--max-fix-attempts <n>', 'fix attempts per step after a failed check (default 2)')
      .option('--token-budget <n>', 'tokens the build may spend before it waits at the budget gate (default 2000000; --budget-tokens sets the same)')
      .option('--model <model>', "LLM model for this run (default: the worker's AIML_MODEL)")
      .option('--kb <name>', 'knowledge base to retrieve context from')
      .option('--allow <command>', 'a command the agent may run without asking (exact, or a prefix pattern like "npm test*"); repeatable', (v: string, all: string[] = []) => [...all, v])
      .option('--verify <mode>', 'shadow: try each step in a throwaway copy; only a step whose check passes reaches the workspace')
      .option('--step-turns <n>', 'model turns per step before it asks you (default 30)')
      .option('--step-tokens <n>', 'tokens per step before it asks you (default 300000)')
      .option('--step-minutes <n>', 'minutes per step before it asks you (default 30)')
      .option('--id <workflowId>', 'workflow id to use')
      .option('--force', 'overwrite SPECS.md and the build report even if they were changed by hand')
      .option('--wait', 'follow progress until the run ends or waits for approval')
      .option('--json', 'machine-readable output'),
  );
}

/**
 * `--spec`, relative to the current directory like every path on the command line; when it is not
 * there but is in `--workspace`, the error names that file (`--workspace ~/app --spec SPECS.md`
 * run from elsewhere is an easy slip).
 */
function specInOrBeside(spec: string, workspaceFlag: string | undefined, env: NodeJS.ProcessEnv): string {
  try {
    return parseSpecPath(spec, process.cwd(), env);
  } catch (err) {
    const inWorkspace = workspaceFlag && !path.isAbsolute(spec) ? path.resolve(workspaceFlag, spec) : undefined;
    if (isAimlError(err, 'USAGE') && inWorkspace && inWorkspace !== path.resolve(spec) && fs.existsSync(inWorkspace)) {
      throw new AimlError('USAGE', `${err.message}; paths are relative to the current directory: did you mean --spec ${inWorkspace}?`);
    }
    throw err;
  }
}

/** The spec of a completed design run, and its workspace. */
export async function specFromDesign(ctx: CliContext, id: string): Promise<{ specPath: string; workspace: string }> {
  const aiml = await ctx.aiml();
  const view = await aiml.describe(id);
  if (view.type !== 'design') throw new AimlError('USAGE', `--from ${id} is a ${view.type} run, not a design run`);
  if (view.status !== 'completed') throw new AimlError('USAGE', `--from ${id}: the design run is ${view.status}, not completed; approve its spec first`);
  const result = await aiml.result<DesignResult>(id);
  if (!result.specPath) throw new AimlError('USAGE', `--from ${id}: the design run wrote no spec (${result.stopped ?? 'it was stopped'})`);
  return { specPath: result.specPath, workspace: path.dirname(result.specPath) };
}

/** The settings `build` and `ship` share, from their common flags (only those given). */
export function buildSettings(flags: BuildFlags): Pick<BuildInput, 'gatePolicy' | 'checkCommand' | 'limits' | 'model' | 'kb' | 'policy' | 'budget' | 'verify' | 'runBudget'> {
  const settings: ReturnType<typeof buildSettings> = {};
  const { mode: _mode, ...gatePolicy } = approvalPolicy({ ...flags, autoApprove: false });
  if (Object.keys(gatePolicy).length) settings.gatePolicy = gatePolicy;
  if (flags.check !== undefined) settings.checkCommand = flags.check;
  const limits = parseLimits(flags);
  if (limits) settings.limits = limits;
  if (flags.model) settings.model = flags.model;
  if (flags.kb) settings.kb = flags.kb;
  if (flags.allow?.length) {
    const empty = flags.allow.find((a) => !a.trim());
    if (empty !== undefined) throw new AimlError('USAGE', '--allow needs a command or pattern, got an empty one');
    settings.policy = { allowCommands: flags.allow.map((a) => a.trim()) };
  }
  if (flags.verify !== undefined) {
    if (flags.verify !== 'shadow') throw new AimlError('USAGE', `--verify must be "shadow", got "${flags.verify}"`);
    settings.verify = 'shadow';
  }
  const budget: NonNullable<BuildInput['budget']> = {};
  if (flags.stepTurns) budget.maxTurns = parsePositiveInt('--step-turns', flags.stepTurns);
  if (flags.stepTokens) budget.maxTokens = parsePositiveInt('--step-tokens', flags.stepTokens);
  if (flags.stepMinutes) budget.maxWallMs = parsePositiveInt('--step-minutes', flags.stepMinutes) * 60_000;
  if (Object.keys(budget).length) settings.budget = budget;
  const runBudget = runBudgetFrom(flags);
  if (runBudget) settings.runBudget = runBudget;
  return settings;
}

export function registerBuild(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('build')
    .description('Start a BUILD run: plan from a spec, then apply reviewed, checked steps to the workspace')
    .option('--spec <path>', 'the spec to build from (e.g. SPECS.md)')
    .option('--from <designRunId>', 'build from the spec of a completed design run')
    .option('--workspace <dir>', 'target repository (default: the current directory, or the design run\'s)');
  addBuildOptions(cmd).action(async (flags: BuildFlags) => {
    if (!flags.spec === !flags.from) throw new AimlError('USAGE', 'Give exactly one of --spec PATH or --from <designRunId>');
    let workspace: string;
    let specPath: string;
    let designRunId: string | undefined;
    if (flags.from) {
      const fromDesign = await specFromDesign(ctx, flags.from);
      workspace = flags.workspace ? parseWorkspace(flags.workspace) : fromDesign.workspace;
      specPath = fromDesign.specPath;
      designRunId = flags.from;
    } else {
      workspace = parseWorkspace(flags.workspace);
      specPath = specInOrBeside(flags.spec!, flags.workspace, ctx.env);
    }
    const input: BuildInput = { specPath, workspace, approval: parseApproval(flags.approve, flags.autoApprove), ...buildSettings(flags) };
    if (designRunId) input.designRunId = designRunId;
    if (flags.force) input.force = true;

    await startRun(ctx, 'build', flags.id ?? buildWorkflowId(shortId()), input, flags);
  });
}
