import type { Command } from 'commander';
import { runWorker } from '../../worker';
import type { CliContext } from '../context';

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('Run a worker (workflows and activities) until Ctrl-C')
    .option('--json', 'print one JSON line when the worker is ready')
    .action(async (flags: { json?: boolean }) => {
      await runWorker(ctx.env, flags);
    });
}
