import fs from 'node:fs';
import path from 'node:path';
import { decideUpdate, ingestWorkflowId, stateQuery, type BuildDetails, type DesignResult, type IngestResult, type RedactionSummary } from '../../src/contracts';
import { planReply } from '../build/fixtures';
import { awaitingGate, startBuild } from '../build/helpers';
import { draftReply } from '../support/fixtures';
import { tmpDir, uniqueId, waitFor } from '../support/env';
import { useRagRig, writeTree } from '../rag/support';

const rig = useRagRig();

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** History with every payload's base64 `data` decoded, as one text. */
function decodedPayloads(history: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'data' && typeof x === 'string') out.push(Buffer.from(x, 'base64').toString('utf8'));
        else if (x instanceof Uint8Array) out.push(Buffer.from(x).toString('utf8'));
        else walk(x);
      }
    }
  };
  walk(history);
  return out.join('\n');
}

/** A realistic-looking OpenAI project key, built at run time (never a real one). */
function fakeOpenAiKey(): string {
  const body = (n: number, salt: number) => Array.from({ length: n }, (_, i) => 'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7cF0hL'[(i * 7 + salt) % 32]).join('');
  return `sk-proj-${body(74, 3)}T3BlbkFJ${body(74, 11)}`;
}

test('a key in config/settings.json reaches no LLM request, blob, knowledge-base file or history; the run says it was redacted', async () => {
  const key = fakeOpenAiKey();
  const workspace = tmpDir('aiml-leak-ws-');
  writeTree(workspace, {
    'README.md': '# Support chatbot\nAnswers customer questions from the product docs with an OpenAI model.\n',
    'config/settings.json': JSON.stringify({ openai: { model: 'gpt-4o-mini', apiKey: key }, chatbot: { maxTurns: 12 } }, null, 2),
    'docs/faq.md': '# FAQ\nThe chatbot reads its OpenAI settings from config/settings.json.\n',
  });

  // Knowledge base over the same folder: chunks are redacted before embedding and storing.
  const kb = uniqueId('kb');
  const ingest: IngestResult = await rig.client.workflow.execute('ingest', {
    taskQueue: rig.worker.taskQueue,
    workflowId: ingestWorkflowId(`${kb}-${uniqueId('t')}`),
    args: [{ kb, dir: workspace }],
  });
  expect(ingest.filesIndexed).toBe(3);
  expect(ingest.secretsRedacted).toBe(1);

  rig.llm.enqueue(draftReply('safe'));
  const handle = await rig.client.workflow.start('design', {
    taskQueue: rig.worker.taskQueue,
    workflowId: uniqueId('design'),
    args: [{ brief: 'A support chatbot using the OpenAI model and settings in config/settings.json', workspace, kb }],
  });
  const waiting = await waitFor(async () => {
    const s = await handle.query(stateQuery);
    return s.status === 'awaiting_approval' ? s : undefined;
  }, 'the design gate');
  expect(waiting.details.contextFiles).toContain('config/settings.json');
  expect(waiting.details.contextRanking).toBe('meaning'); // the worker's local models chose the files: the key was redacted on that path too
  const redactions = waiting.details.redactions as RedactionSummary;
  // The workspace excerpt; the knowledge-base chunk was already stored redacted at ingest.
  expect(redactions).toEqual({ count: 1, byRule: { 'OpenAI API key': 1 }, items: [{ rule: 'OpenAI API key', source: 'config/settings.json', line: 4 }] });

  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toContain('Credentials redacted from what the model saw: 1 (OpenAI API key)');

  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'ana' }] });
  const result: DesignResult = await handle.result();

  const prompts = JSON.stringify(rig.llm.requests);
  // Both the workspace excerpt and the retrieved chunk of config/settings.json carry the marker.
  expect(prompts.split('[REDACTED: OpenAI API key]').length - 1).toBeGreaterThanOrEqual(2);
  expect(prompts).toContain('gpt-4o-mini'); // the rest of the file still reached the model
  expect(prompts).not.toContain(key);
  expect(prompts).not.toContain(key.slice(8, 40));

  const stored = filesUnder(rig.worker.stateDir);
  expect(stored.some((f) => f.includes(`${path.sep}blobs${path.sep}`))).toBe(true);
  expect(stored.some((f) => f.includes(kb))).toBe(true);
  for (const f of stored) expect(fs.readFileSync(f).includes(key.slice(8, 40))).toBe(false);

  const history = decodedPayloads(await handle.fetchHistory());
  expect(history.includes(key.slice(8, 40))).toBe(false);
  expect(history.includes('"byRule":{"OpenAI API key":1}')).toBe(true); // the activity result: rule and place, no value
  expect(fs.readFileSync(result.specPath!, 'utf8')).not.toContain(key.slice(8, 40));
});

test("a BUILD plan's context: the files it was shown and how they were chosen are in the run's state, and a key in one is counted as redacted", async () => {
  const key = fakeOpenAiKey();
  const workspace = tmpDir('aiml-leak-plan-');
  writeTree(workspace, {
    'README.md': '# Support chatbot\nAnswers customer questions from the product docs with an OpenAI model.\n',
    'config/settings.json': JSON.stringify({ openai: { model: 'gpt-4o-mini', apiKey: key }, chatbot: { maxTurns: 12 } }, null, 2),
    'SPECS.md': '# Chatbot settings\n\n## Model settings\nRead the OpenAI model name and API key settings of the chatbot from config/settings.json, and the maximum number of turns.\n',
  });
  rig.llm.enqueue(planReply([{ title: 'Read the settings', files: [{ path: 'src/settings.ts', action: 'create' }] }]));
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace, approval: 'plan', checkCommand: 'true' });
  try {
    const waiting = await awaitingGate(handle, 'build/plan');
    const plan = (waiting.details as BuildDetails).plan!;
    expect(plan.contextRanking).toBe('meaning');
    expect(plan.contextFiles).toEqual(expect.arrayContaining(['README.md', 'config/settings.json']));
    expect(plan.contextFiles).not.toContain('SPECS.md');
    expect(waiting.details.redactions).toEqual({ count: 1, byRule: { 'OpenAI API key': 1 }, items: [{ rule: 'OpenAI API key', source: 'config/settings.json', line: 4 }] });
    const prompt = JSON.stringify(rig.llm.requests.at(-1));
    expect(prompt).toContain('[REDACTED: OpenAI API key]');
    expect(prompt).not.toContain(key.slice(8, 40));
  } finally {
    await handle.terminate('test done');
  }
});
