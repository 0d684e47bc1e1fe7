import type { Client } from '@temporalio/client';
import { loadDevServerConfig } from '../config';
import { AimlError } from '../errors';
import { planDevServer, portOpen, startDevServer } from '../temporal/dev-server';
import { ensureTemporalBinary } from '../temporal/install';
import type { CliContext } from './context';

const LOCAL = /^(127\.0\.0\.1|localhost|\[::1\]):\d+$/;

/** Makes sure a Temporal server answers: starts the local dev server (detached, persistent) if none does. */
export async function ensureServer(ctx: CliContext): Promise<string | undefined> {
  const { address } = ctx.temporal();
  if (await portOpen(address)) return undefined;
  if (!LOCAL.test(address)) throw new AimlError('TEMPORAL_UNREACHABLE', `Cannot reach Temporal at ${address}; check TEMPORAL_ADDRESS`);
  const dev = loadDevServerConfig(ctx.env);
  dev.port = Number(address.slice(address.lastIndexOf(':') + 1));
  const plan = planDevServer(ensureTemporalBinary(ctx.env, ctx.err), dev);
  const logFile = `${dev.stateDir}/dev-server.log`;
  await startDevServer(plan, { detached: true, logFile });
  ctx.err(`Started the Temporal dev server in the background: gRPC ${plan.address}, UI ${plan.uiUrl} (log: ${logFile}; db: ${plan.dbFile})`);
  return plan.uiUrl;
}

export async function connectWithRetry(ctx: CliContext): Promise<Client> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const client = await ctx.client();
      await client.workflowService.getSystemInfo({});
      return client;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
