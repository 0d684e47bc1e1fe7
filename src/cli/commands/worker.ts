import type { Command } from 'commander';
import { runWorker } from '../../worker';
import type { CliContext } from '../context';

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('Run a worker (workflows and activities) until Ctrl-C')
    .action(async () => {
      await runWorker(ctx.env);
    });
}
