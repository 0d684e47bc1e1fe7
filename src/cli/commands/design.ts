import type { Command } from 'commander';
import { designWorkflowId, type ApprovalPolicy, type DesignInput } from '../../contracts';
import { AimlError } from '../../errors';
import type { CliContext } from '../context';
import { parseDuration, parsePositiveInt, parseWorkspace, shortId } from '../options';
import { cleanText } from '../inputs';
import { startRun } from '../start-run';
import { addBudgetOptions, runBudgetFrom, type BudgetFlags } from '../budget-options';

export interface ApprovalFlags {
  timeout?: string;
  remindEvery?: string;
  onTimeout?: string;
  autoApprove?: boolean;
}

export function approvalPolicy(flags: ApprovalFlags): ApprovalPolicy {
  const policy: ApprovalPolicy = {};
  if (flags.autoApprove) policy.mode = 'auto';
  if (flags.timeout) policy.timeoutMs = parseDuration('--timeout', flags.timeout);
  if (flags.remindEvery) policy.reminderIntervalMs = parseDuration('--remind-every', flags.remindEvery);
  if (flags.onTimeout) {
    if (flags.onTimeout !== 'fail' && flags.onTimeout !== 'approve') throw new AimlError('USAGE', `--on-timeout must be fail or approve, got "${flags.onTimeout}"`);
    policy.onTimeout = flags.onTimeout;
  }
  return policy;
}

export function addApprovalOptions(cmd: Command): Command {
  return cmd
    .option('--timeout <duration>', 'stop waiting for a decision after this long (e.g. 3d)')
    .option('--remind-every <duration>', 'send a reminder this often while waiting (e.g. 4h)')
    .option('--on-timeout <action>', 'fail (default) or approve when the timeout passes')
    .option('--auto-approve', 'approve every gate at once (recorded as a policy decision)');
}

interface DesignFlags extends ApprovalFlags, BudgetFlags {
  workspace?: string;
  kb?: string;
  wait?: boolean;
  json?: boolean;
  model?: string;
  id?: string;
  maxRevisions?: string;
  force?: boolean;
}

export function registerDesign(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('design')
    .description('Start a DESIGN run: draft an AI/ML architecture for the brief, wait for approval, write SPECS.md')
    .argument('<brief>', 'what to design, in words')
    .option('--workspace <dir>', 'target repository (default: current directory)')
    .option('--kb <name>', 'knowledge base to retrieve context from')
    .option('--model <model>', 'LLM model for this run (default: the worker\'s AIML_MODEL)')
    .option('--max-revisions <n>', 'rejections allowed before the run fails (default 5)')
    .option('--id <workflowId>', 'workflow id to use (default: design-<random>)')
    .option('--force', 'overwrite SPECS.md even if it was changed by hand since aiml wrote it')
    .option('--wait', 'follow progress until the run ends or waits for approval')
    .option('--json', 'machine-readable output');
  addBudgetOptions(addApprovalOptions(cmd)).action(async (brief: string, flags: DesignFlags) => {
    if (!brief.trim()) throw new AimlError('USAGE', 'The brief is empty');
    const input: DesignInput = { brief: cleanText(brief), workspace: parseWorkspace(flags.workspace), approval: approvalPolicy(flags) };
    if (flags.force) input.force = true;
    if (flags.kb) input.kb = flags.kb;
    if (flags.model) input.model = flags.model;
    const runBudget = runBudgetFrom(flags);
    if (runBudget) input.runBudget = runBudget;
    if (flags.maxRevisions) input.maxRevisions = parsePositiveInt('--max-revisions', flags.maxRevisions);
    await startRun(ctx, 'design', flags.id ?? designWorkflowId(shortId()), input, flags);
  });
}
