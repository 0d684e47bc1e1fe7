import type { Command } from 'commander';
import { loadDevServerConfig } from '../../config';
import { ensureTemporalBinary } from '../../temporal/install';
import { planDevServer, startDevServer } from '../../temporal/dev-server';
import { type CliContext, printJson } from '../context';
import { parsePort } from '../options';

export function registerDev(program: Command, ctx: CliContext): void {
  program
    .command('dev')
    .description('Start the Temporal dev server (persistent sqlite under the state folder, search attributes registered)')
    .option('--port <port>', 'gRPC port (default 7233, or AIML_DEV_PORT)')
    .option('--ui-port <port>', 'Web UI port (default 8233, or AIML_DEV_UI_PORT)')
    .option('--ip <ip>', 'address to bind (default 127.0.0.1)')
    .option('--json', 'print the addresses as JSON')
    .action(async (opts: { port?: string; uiPort?: string; ip?: string; json?: boolean }) => {
      const config = loadDevServerConfig(ctx.env);
      if (opts.port) config.port = parsePort('--port', opts.port);
      if (opts.uiPort) config.uiPort = parsePort('--ui-port', opts.uiPort);
      if (opts.ip) config.ip = opts.ip;
      const bin = ensureTemporalBinary(ctx.env, ctx.err);
      const plan = planDevServer(bin, config);
      const server = await startDevServer(plan);
      if (opts.json) printJson(ctx, { address: plan.address, ui: plan.uiUrl, db: plan.dbFile });
      else ctx.out(`Temporal dev server\n  gRPC: ${plan.address}\n  UI:   ${plan.uiUrl}\n  db:   ${plan.dbFile}\nCtrl-C stops it.`);
      const stop = (): void => {
        server.child.kill('SIGTERM');
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
    });
}
