import { ingestWorkflowId, type BuildResult } from '../../src/contracts';
import { tmpDir, uniqueId } from '../support/env';
import { CORPUS, useRagRig, writeTree } from '../rag/support';
import { fixtureRepo, planReply, stepReply, whisperEdits } from './fixtures';
import { startBuild } from './helpers';

const rig = useRagRig();

test('a build given a knowledge base plans and writes each step with chunks retrieved from it', async () => {
  const corpus = tmpDir('aiml-corpus-');
  writeTree(corpus, CORPUS);
  const kb = uniqueId('kb');
  await rig.client.workflow.execute('ingest', { taskQueue: rig.worker.taskQueue, workflowId: ingestWorkflowId(`${kb}-${uniqueId('t')}`), args: [{ kb, dir: corpus }] });

  const ws = fixtureRepo();
  rig.llm.enqueue(planReply([{ title: 'Refund a disputed payment', files: [{ path: 'src/text.js' }, { path: 'test.js' }] }]), stepReply(whisperEdits()));
  const before = rig.llm.requests.length;
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'none', checkCommand: 'node test.js', kb });
  const result: BuildResult = await handle.result();
  expect(result.steps[0]!.status).toBe('passed');
  const [plan, step] = rig.llm.requests.slice(before).map((r) => r.messages.map((m) => m.content).join('\n'));
  expect(plan).toContain('## Knowledge base');
  expect(step).toMatch(/### knowledge base: src\/refund\.py:1-3\n```\ndef refund_payment\(payment_id, amount\):/);
});
