import fs from 'node:fs';
import path from 'node:path';
import { decideUpdate, stateQuery } from '../src/contracts';
import { searchAttributeFlags } from '../src/contracts/search-attributes';
import { draftReply } from './support/fixtures';
import { startScriptedLlm } from './support/scripted-llm';
import { tmpDir, uniqueId } from './support/env';
import { ownDevServer } from './support/own-dev-server';

/** `aiml dev`'s server: persistent sqlite, search attributes registered, runs survive a restart. */

test('a run waiting for approval survives a dev-server restart on the same db file', async () => {
  const llm = await startScriptedLlm();
  llm.enqueue(draftReply('restart'));
  const workspace = tmpDir();
  const dev = await ownDevServer({ llmUrl: llm.url, taskQueue: 'restart' });
  try {
    expect(dev.plan.args).toEqual(expect.arrayContaining(['--db-filename', path.join(dev.stateDir, 'temporal.db'), ...searchAttributeFlags()]));
    const workflowId = uniqueId('design-restart');
    const handle = await dev.client.workflow.start('design', { taskQueue: 'restart', workflowId, args: [{ brief: 'Survive a restart', workspace }] });
    for (let s = await handle.query(stateQuery); s.status !== 'awaiting_approval'; s = await handle.query(stateQuery)) {
      await new Promise((r) => setTimeout(r, 100));
    }

    await dev.stop();
    expect(fs.statSync(dev.plan.dbFile).size).toBeGreaterThan(0);
    await dev.start();

    const again = dev.client.workflow.getHandle(workflowId);
    const desc = await again.describe();
    expect(desc.status.name).toBe('RUNNING');
    const decision = await again.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'after-restart' }] });
    expect(decision.by).toBe('after-restart');
    const result = await again.result();
    expect(result.specPath).toBe(path.join(workspace, 'SPECS.md'));
    expect(llm.requests).toHaveLength(1);
  } finally {
    await dev.close();
    await llm.close();
  }
});
