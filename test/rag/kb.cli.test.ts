import fs from 'node:fs';
import path from 'node:path';
import { EmbeddingCache } from '../../src/rag/embed/cache';
import { LOCAL_MODEL } from '../../src/rag/embed/model-install';
import { ingestWorkflowId } from '../../src/contracts';
import { hostQueueName } from '../../src/contracts/routing';
import { AimlClient } from '../../src/client/aiml-client';
import { defaultHostId } from '../../src/config-hosts';
import { testClient, tmpDir, uniqueId } from '../support/env';
import { runCli } from '../support/processes';
import { CORPUS, useKbCliRig, writeTree } from './support';
import { freePort } from '../support/ports';

/** `aiml kb …` end to end: a real worker runs the ingest workflow; search and stats run in the CLI process. */

const rig = useKbCliRig();

test('kb add → search → stats → sync → rm, with --json shapes', async () => {
  const dir = tmpDir('aiml-corpus-');
  writeTree(dir, CORPUS);
  const added = await runCli(['kb', 'add', dir, '--kb', 'billing', '--json'], rig.env);
  expect(added.code).toBe(0);
  expect(JSON.parse(added.stdout)).toMatchObject({ kb: 'billing', phase: 'done', filesIndexed: 4, skipped: { binary: 1 } });

  // The default model's second stage keeps MiniLM's vectors of the chunks it scored in MiniLM's cache: --no-refine makes none.
  const miniLmCache = new EmbeddingCache(path.join(rig.home, 'embed-cache'), `${LOCAL_MODEL.id}@${LOCAL_MODEL.maxTokens}`, LOCAL_MODEL.dims).file;
  const oneStage = await runCli(['kb', 'search', 'refund part of a captured payment', '--kb', 'billing', '-k', '2', '--no-refine', '--json'], rig.env);
  expect(oneStage.code).toBe(0);
  expect(JSON.parse(oneStage.stdout)).toHaveLength(2);
  expect(fs.existsSync(miniLmCache)).toBe(false);
  const found = await runCli(['kb', 'search', 'refund part of a captured payment', '--kb', 'billing', '-k', '2', '--json'], rig.env);
  expect(found.code).toBe(0);
  const scored = fs.statSync(miniLmCache).size;
  const hits = JSON.parse(found.stdout) as { path: string; startLine: number; endLine: number; score: number; text: string }[];
  expect(hits).toHaveLength(2);
  expect(hits[0]).toMatchObject({ path: 'src/refund.py', startLine: 1, endLine: 3, symbol: 'refund_payment', language: 'python' });
  expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);

  const plain = await runCli(['kb', 'search', 'exponential backoff', '--lang', 'markdown'], rig.env); // the only KB: no --kb needed
  expect(plain.code).toBe(0);
  expect(plain.stdout).toMatch(/^\d\.\d{4} {2}README\.md:4-5 {2}Billing service > Retries\n {8}Failed card payments are retried with exponential backoff, three times at most\.\n/);

  const stats = JSON.parse((await runCli(['kb', 'stats', '--kb', 'billing', '--json'], rig.env)).stdout);
  expect(stats).toMatchObject({ name: 'billing', files: 4, model: 'local:minilm-static', refinedBy: 'local:all-minilm-l6-v2-q', dims: 384, store: 'embedded', root: dir });
  expect(scored).toBe(stats.chunks * (32 + LOCAL_MODEL.dims * 4)); // fewer than 30 chunks: every one scored, each once

  const synced = await runCli(['kb', 'sync', '--json'], rig.env);
  expect(JSON.parse(synced.stdout)).toMatchObject({ filesIndexed: 0, filesUnchanged: 4 });
  // aiml status of a sync shows what it did (a sync calls no model: no tokens), from its result.
  const status = await runCli(['status', 'kb-ingest-billing'], rig.env);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain(`  kb:      billing (${dir})\n  step:    done\n  files:   0 of 0 indexed, 4 unchanged, 0 removed\n`);
  expect(status.stdout).not.toMatch(/tokens:|warning/);
  expect(JSON.parse((await runCli(['status', 'kb-ingest-billing', '--json'], rig.env)).stdout)).toMatchObject({ type: 'ingest', sync: { phase: 'done', filesUnchanged: 4 } });

  const removed = await runCli(['kb', 'rm', 'billing', '--json'], rig.env);
  expect(JSON.parse(removed.stdout)).toEqual({ removed: 'billing' });
  const gone = await runCli(['kb', 'stats', '--kb', 'billing'], rig.env);
  expect(gone.code).toBe(1);
  expect(gone.stderr.trim()).toBe('aiml: Knowledge base "billing" does not exist (create it with: aiml kb add <dir> --kb billing)');
});

test('bad input: missing directory, unknown embedding model, unreachable Qdrant — one clear line each; a knowledge base keeps its model', async () => {
  const missing = await runCli(['kb', 'add', '/nonexistent/aiml-docs'], rig.env);
  expect(missing.code).toBe(2);
  expect(missing.stderr.trim()).toBe('aiml: Directory /nonexistent/aiml-docs does not exist');

  const dir = tmpDir('aiml-corpus-');
  writeTree(dir, { 'a.md': '# A\nalpha\n' });
  expect((await runCli(['kb', 'add', dir, '--kb', 'mixed', '--json'], rig.env)).code).toBe(0);
  // A knowledge base keeps its local model: a CLI configured for an endpoint, or for another local model, searches it with that model.
  const other = await runCli(['kb', 'search', 'alpha', '--kb', 'mixed', '--json'], { ...rig.env, AIML_EMBEDDINGS: 'openai', AIML_EMBED_MODEL: 'emb-x', OPENAI_BASE_URL: rig.llm.url });
  expect(other.code).toBe(0);
  expect(JSON.parse(other.stdout)).toMatchObject([{ path: 'a.md' }]);
  const transformer = await runCli(['kb', 'list', '--kb', 'mixed'], { ...rig.env, AIML_LOCAL_EMBED_MODEL: 'all-minilm-l6-v2-q' });
  expect(transformer.stdout).toMatch(/^mixed: 1 files, 1 chunks, local:minilm-static \(384-d, searches refined by local:all-minilm-l6-v2-q\), embedded store/);
  for (const [flag, value, says] of [['--per-file', 'abc', 'a whole number (0 or more)'], ['--per-file', '-1', 'a whole number (0 or more)'], ['-k', '0', 'a positive whole number']]) {
    const bad = await runCli(['kb', 'search', 'alpha', '--kb', 'mixed', flag!, value!], rig.env);
    expect({ code: bad.code, stderr: bad.stderr.trim() }).toEqual({ code: 2, stderr: `aiml: ${flag} must be ${says}, got "${value}"` });
  }
  const badModel = await runCli(['kb', 'add', dir, '--kb', 'mixed', '--model', 'ada-002'], rig.env);
  expect(badModel.code).toBe(2);
  expect(badModel.stderr.trim()).toBe('aiml: --model ada-002 is not a local embedding model; use one of all-minilm-l6-v2-q, bge-small-en-v1.5-q, minilm-static');

  const url = `http://127.0.0.1:${await freePort()}`;
  const qdrant = await runCli(['kb', 'add', dir, '--kb', 'q'], { ...rig.env, AIML_VECTOR_STORE: 'qdrant', QDRANT_URL: url });
  expect(qdrant.code).toBe(1);
  expect(qdrant.stderr.trim()).toMatch(new RegExp(`^aiml: Qdrant at ${url} does not answer \\(.+\\); check QDRANT_URL and that Qdrant is running$`));

  const noUrl = await runCli(['kb', 'add', dir, '--kb', 'q'], { ...rig.env, AIML_VECTOR_STORE: 'qdrant' });
  expect(noUrl.code).toBe(2);
  expect(noUrl.stderr.trim()).toBe('aiml: AIML_VECTOR_STORE=qdrant needs QDRANT_URL (for example http://localhost:6333)');
});

test("kb add does not join another host's sync of the same name: it says where that one runs", async () => {
  const dir = tmpDir('aiml-corpus-');
  writeTree(dir, { 'a.md': '# A\nalpha\n' });
  const name = uniqueId('elsewhere');
  const otherQueue = uniqueId('other-host-queue'); // nobody polls it: the sync stays running there
  const { client, close } = await testClient();
  const other = await client.workflow.start('ingest', { taskQueue: otherQueue, workflowId: ingestWorkflowId(name), args: [{ kb: name, dir: '/elsewhere' }] });
  try {
    const added = await runCli(['kb', 'add', dir, '--kb', name], rig.env);
    expect(added.code).toBe(1);
    expect(added.stderr.trim()).toBe(
      `aiml: ${ingestWorkflowId(name)} is already running on another host's task queue (${otherQueue}), not this host's (${hostQueueName(rig.worker.taskQueue, defaultHostId())}); it is not joined. Wait for it to end (aiml watch ${ingestWorkflowId(name)}), or use another name.`,
    );
    expect(fs.existsSync(path.join(rig.home, 'kb', name))).toBe(false);
  } finally {
    await other.terminate('test done');
    await close();
  }
});

test('kb add of another folder under a name already in use is refused, whether the knowledge base exists or its first sync is still running', async () => {
  const [a, b] = [tmpDir('aiml-corpus-'), tmpDir('aiml-corpus-')];
  writeTree(a, { 'a.md': '# A\nalpha\n' });
  writeTree(b, { 'b.md': '# B\nbeta\n' });
  // A queue nobody polls: a run started there stays running, and a CLI that started one would wait forever.
  const queue = uniqueId('idle-queue');
  const idle = { ...rig.env, AIML_TASK_QUEUE: queue };

  // The first sync of `name` (folder a) is still running on this host's queue: kb add of b does not join it.
  const name = uniqueId('first');
  const { client, close } = await testClient();
  const aiml = new AimlClient(client, { namespace: 'default', taskQueue: hostQueueName(queue, defaultHostId()) });
  const running = await aiml.start('ingest', ingestWorkflowId(name), { kb: name, dir: a }, { joinExisting: true });
  try {
    const other = await runCli(['kb', 'add', b, '--kb', name], idle);
    expect(other.code).toBe(1);
    expect(other.stderr.trim()).toBe(
      `aiml: ${ingestWorkflowId(name)} is already running for ${a}, not ${b}; it is not joined. Wait for it to end (aiml watch ${ingestWorkflowId(name)}), or use another --kb name.`,
    );
    // The same folder joins it (and would wait for it to end): its start returns the running run.
    expect((await aiml.start('ingest', ingestWorkflowId(name), { kb: name, dir: a }, { joinExisting: true })).firstExecutionRunId).toBe(running.firstExecutionRunId);
  } finally {
    await running.terminate('test done');
    await close();
  }

  // A knowledge base that indexes a: kb add of b is refused before any run starts (none could end on this idle queue).
  const kept = uniqueId('kept');
  expect((await runCli(['kb', 'add', a, '--kb', kept, '--json'], rig.env)).code).toBe(0);
  const refused = await runCli(['kb', 'add', b, '--kb', kept], idle);
  expect(refused.code).toBe(1);
  expect(refused.stderr.trim()).toBe(`aiml: Knowledge base "${kept}" indexes ${a}, not ${b}; choose another --kb name`);
}, 60_000);
