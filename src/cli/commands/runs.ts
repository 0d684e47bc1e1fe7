import type { Command } from 'commander';
import { type CliContext, printJson } from '../context';
import { parsePositiveInt, parseRunStatus } from '../options';

export function registerRuns(program: Command, ctx: CliContext): void {
  program
    .command('runs')
    .description('List runs: open ones first (newest first), then ended ones, the latest to end first')
    .option('--status <status>', 'running | awaiting_approval | completed | failed | cancelled')
    .option('--limit <n>', 'at most this many (default 50)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { status?: string; limit?: string; json?: boolean }) => {
      const status = flags.status ? parseRunStatus(flags.status) : undefined;
      const limit = flags.limit ? parsePositiveInt('--limit', flags.limit) : 50;
      const runs = await (await ctx.aiml()).list({ status, limit });
      if (flags.json) return printJson(ctx, runs);
      if (!runs.length) return ctx.out('No runs.');
      for (const r of runs) ctx.out(`${r.workflowId.padEnd(28)} ${r.phase.padEnd(7)} ${r.status.padEnd(18)} ${r.pendingGate ?? ''}`);
    });
}
