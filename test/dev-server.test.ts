import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { decideUpdate, stateQuery } from '../src/contracts';
import { searchAttributeFlags } from '../src/contracts/search-attributes';
import { planDevServer, startDevServer } from '../src/temporal/dev-server';
import { buildDeps, createWorker } from '../src/worker-factory';
import { draftReply } from './support/fixtures';
import { startScriptedLlm } from './support/scripted-llm';
import { tmpDir, uniqueId } from './support/env';

/** `aiml dev`'s server: persistent sqlite, search attributes registered, runs survive a restart. */

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

test('a run waiting for approval survives a dev-server restart on the same db file', async () => {
  const state = tmpDir('aiml-dev-');
  const plan = planDevServer(process.env.AIML_TEST_TEMPORAL_BIN!, { ip: '127.0.0.1', port: await freePort(), uiPort: await freePort(), stateDir: state });
  expect(plan.args).toEqual(expect.arrayContaining(['--db-filename', path.join(state, 'temporal.db'), ...searchAttributeFlags()]));
  const llm = await startScriptedLlm();
  llm.enqueue(draftReply('restart'));
  const workspace = tmpDir();

  let server = await startDevServer(plan, { logFile: path.join(state, 'server.log') });
  const cleanups: (() => Promise<unknown>)[] = [async () => server.child.kill('SIGTERM'), () => llm.close()];
  try {
    // startDevServer returns only once the frontend serves the namespace: connecting right away works.
    const workerConnection = await NativeConnection.connect({ address: plan.address });
    cleanups.unshift(() => workerConnection.close());
    const worker = await createWorker({
      connection: workerConnection,
      namespace: 'default',
      taskQueue: 'restart',
      deps: buildDeps({ baseURL: llm.url, apiKey: 'k', model: 'm', timeoutMs: 10_000, stream: true }, state),
      workflowBundle: { codePath: process.env.AIML_TEST_WORKFLOW_BUNDLE! },
    });
    const running = worker.run();
    cleanups.unshift(async () => {
      worker.shutdown();
      await running.catch(() => undefined);
    });
    let connection = await Connection.connect({ address: plan.address });
    let client = new Client({ connection });

    const workflowId = uniqueId('design-restart');
    const handle = await client.workflow.start('design', { taskQueue: 'restart', workflowId, args: [{ brief: 'Survive a restart', workspace }] });
    for (let s = await handle.query(stateQuery); s.status !== 'awaiting_approval'; s = await handle.query(stateQuery)) {
      await new Promise((r) => setTimeout(r, 100));
    }

    await connection.close();
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    expect(fs.statSync(plan.dbFile).size).toBeGreaterThan(0);
    server = await startDevServer(plan, { logFile: path.join(state, 'server.log') });
    connection = await Connection.connect({ address: plan.address });
    cleanups.unshift(() => connection.close());
    client = new Client({ connection });

    const again = client.workflow.getHandle(workflowId);
    const desc = await again.describe();
    expect(desc.status.name).toBe('RUNNING');
    const decision = await again.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'after-restart' }] });
    expect(decision.by).toBe('after-restart');
    const result = await again.result();
    expect(result.specPath).toBe(path.join(workspace, 'SPECS.md'));
    expect(llm.requests).toHaveLength(1);
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
});
