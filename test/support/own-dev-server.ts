import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { planDevServer, startDevServer, type DevServerPlan, type StartedDevServer } from '../../src/temporal/dev-server';
import { buildDeps, createWorker } from '../../src/worker-factory';
import { tmpDir } from './env';
import { freePort } from './ports';

/**
 * A dev server of a test's own (persistent sqlite file, so it can be stopped and started again),
 * with an in-process worker on `taskQueue` and a client. For tests that restart the server; the
 * suite's shared server is never restarted.
 */
export interface OwnDevServer {
  plan: DevServerPlan;
  stateDir: string;
  client: Client;
  /** SIGTERM, and wait until the server is gone. */
  stop(): Promise<void>;
  /** Start it again on the same db file (returns once it serves the namespace). */
  start(): Promise<void>;
  /** Worker, connections, server: all stopped, whatever state the test left them in. */
  close(): Promise<void>;
}

export async function ownDevServer(opts: { llmUrl: string; taskQueue: string }): Promise<OwnDevServer> {
  const stateDir = tmpDir('aiml-dev-');
  const plan = planDevServer(process.env.AIML_TEST_TEMPORAL_BIN!, { ip: '127.0.0.1', port: await freePort(), uiPort: await freePort(), stateDir });
  const logFile = path.join(stateDir, 'server.log');
  let server: StartedDevServer | undefined = await startDevServer(plan, { logFile });
  const cleanups: (() => Promise<unknown>)[] = [async () => server?.child.kill('SIGKILL')];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
  };
  try {
    // startDevServer returns only once the frontend serves the namespace: connecting right away works.
    const workerConnection = await NativeConnection.connect({ address: plan.address });
    cleanups.unshift(() => workerConnection.close());
    const worker = await createWorker({
      connection: workerConnection,
      namespace: 'default',
      taskQueue: opts.taskQueue,
      deps: buildDeps({ baseURL: opts.llmUrl, apiKey: 'k', model: 'm', timeoutMs: 60_000, stream: true }, stateDir),
      workflowBundle: { codePath: process.env.AIML_TEST_WORKFLOW_BUNDLE! },
    });
    const running = worker.run();
    cleanups.unshift(async () => {
      worker.shutdown();
      await running.catch(() => undefined);
    });
    const connection = await Connection.connect({ address: plan.address });
    cleanups.unshift(() => connection.close());
    return {
      plan,
      stateDir,
      client: new Client({ connection }),
      async stop() {
        const child = server!.child;
        server = undefined;
        child.kill('SIGTERM');
        if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
      },
      async start() {
        server = await startDevServer(plan, { logFile });
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
