import fs from 'node:fs';
import path from 'node:path';
import { LocalOnnxEmbedder } from '../../src/rag/embed/local-onnx';
import { KbRegistry } from '../../src/rag/registry';
import { HybridRetriever } from '../../src/rag/retriever';
import { tmpDir } from '../support/env';
import { runCli } from '../support/processes';
import { QDRANT_SKIP_REASON, qdrantAvailable, startQdrant, type TestQdrant } from './qdrant-server';
import { CORPUS, useKbCliRig, writeTree } from './support';

/** `aiml kb add` / `kb search` with AIML_VECTOR_STORE=qdrant, end to end on a real Qdrant server. */

if (!qdrantAvailable()) test.skip(`kb on Qdrant: ${QDRANT_SKIP_REASON}`, () => {});
else {
  let qdrant: TestQdrant;
  beforeAll(async () => {
    qdrant = await startQdrant();
  }, 60_000);
  afterAll(async () => {
    await qdrant?.stop();
  });
  const rig = useKbCliRig({
    rag: () => ({ embeddings: { kind: 'local' }, store: { kind: 'qdrant', url: qdrant.url, apiKey: qdrant.apiKey } }),
    env: () => ({ AIML_VECTOR_STORE: 'qdrant', QDRANT_URL: qdrant.url }),
  });

  test('kb add → search (server-side hybrid, no scroll) → stats → rm, on Qdrant', async () => {
    const dir = tmpDir('aiml-corpus-');
    writeTree(dir, CORPUS);
    const added = await runCli(['kb', 'add', dir, '--kb', 'qbilling', '--json'], rig.env);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ kb: 'qbilling', phase: 'done', filesIndexed: 4 });

    const found = await runCli(['kb', 'search', 'refund part of a captured payment', '--kb', 'qbilling', '-k', '2', '--json'], rig.env);
    expect(found.code).toBe(0);
    const hits = JSON.parse(found.stdout) as { path: string; symbol?: string }[];
    expect(hits[0]).toMatchObject({ path: 'src/refund.py', symbol: 'refund_payment' });
    const docs = await runCli(['kb', 'search', 'exponential backoff', '--kb', 'qbilling', '--lang', 'markdown', '--json'], rig.env);
    const docHits = JSON.parse(docs.stdout) as { path: string; startLine: number }[];
    expect(docHits.map((h) => h.path)).toEqual(['README.md', 'README.md']); // only markdown: its two sections
    expect(docHits[0]!.startLine).toBe(4); // "## Retries" first
    const stats = JSON.parse((await runCli(['kb', 'stats', '--kb', 'qbilling', '--json'], rig.env)).stdout);
    expect(stats).toMatchObject({ name: 'qbilling', files: 4, store: 'qdrant', chunks: expect.any(Number) });

    // In process: every mode answers without listing the collection (documents() would scroll it all),
    // the default model's second stage included (its lexical list is Qdrant's too).
    const reg = new KbRegistry(rig.home, new LocalOnnxEmbedder(), { kind: 'qdrant', url: qdrant.url });
    try {
      const kb = await reg.get('qbilling');
      expect(kb.refiner?.id).toBe('local:all-minilm-l6-v2-q');
      kb.store.documents = () => {
        throw new Error('the collection was scrolled');
      };
      const retriever = new HybridRetriever(reg);
      for (const mode of ['hybrid', 'lexical', 'dense'] as const) {
        const [top] = await retriever.query('qbilling', 'refund_payment captured payment', { k: 3, mode });
        expect(top).toMatchObject({ path: 'src/refund.py' });
      }
      expect((await retriever.query('qbilling', 'invoice total', { k: 5, filter: { pathPrefix: 'src/inv' } })).map((h) => h.path)).toEqual(['src/invoice.ts', 'src/invoice.ts']);
    } finally {
      await reg.closeAll();
    }

    // Another host (its own state folder, the same Qdrant): the knowledge base is found and searched
    // there, and nothing of it is saved on that host; syncing and removing stay with the host that indexed it.
    const otherHome = tmpDir('aiml-other-host-');
    const other = new KbRegistry(otherHome, new LocalOnnxEmbedder(), { kind: 'qdrant', url: qdrant.url });
    try {
      const [top] = await new HybridRetriever(other).query('qbilling', 'refund_payment captured payment', { k: 3 });
      expect(top).toMatchObject({ path: 'src/refund.py' });
      expect((await other.get('qbilling')).settings).toMatchObject({ name: 'qbilling', shared: true, root: '' });
      expect([other.exists('qbilling'), other.list()]).toEqual([false, []]);
      await expect(other.get('nope')).rejects.toThrow(/Knowledge base "nope" does not exist here or in Qdrant/);
      expect(await other.remove('qbilling')).toBe(false);
    } finally {
      await other.closeAll();
    }
    const elsewhere = { ...rig.env, AIML_HOME: otherHome };
    const remote = await runCli(['kb', 'search', 'refund part of a captured payment', '--kb', 'qbilling', '-k', '1', '--json'], elsewhere);
    expect(remote.code).toBe(0);
    expect(JSON.parse(remote.stdout)).toMatchObject([{ path: 'src/refund.py', symbol: 'refund_payment' }]);
    expect((await runCli(['kb', 'stats', '--kb', 'qbilling'], elsewhere)).stdout).toMatch(/^qbilling: 0 files, \d+ chunks, .* qdrant store, root \(indexed by another host; searchable here\)/);

    const seenElsewhere = new KbRegistry(otherHome, new LocalOnnxEmbedder(), { kind: 'qdrant', url: qdrant.url });
    await seenElsewhere.get('qbilling'); // open, and kept open, on the other host
    const removed = await runCli(['kb', 'rm', 'qbilling', '--json'], rig.env);
    expect(JSON.parse(removed.stdout)).toEqual({ removed: 'qbilling' });
    // Removed by the host that indexed it: the other host no longer finds it, though it had it open.
    await expect(seenElsewhere.get('qbilling')).rejects.toThrow(/Knowledge base "qbilling" does not exist here or in Qdrant/);
    await seenElsewhere.closeAll();
    const collections = (await (await fetch(`${qdrant.url}/collections`)).json()) as { result: { collections: { name: string }[] } };
    expect(collections.result.collections.map((c) => c.name).filter((n) => n.startsWith('aiml_qbilling'))).toEqual([]);
  }, 240_000); // several CLI processes: room for a loaded machine

  test("indexing another host's knowledge base from here is refused, never mixed; --adopt empties it and takes it over", async () => {
    const dir = tmpDir('aiml-corpus-');
    writeTree(dir, CORPUS);
    expect((await runCli(['kb', 'add', dir, '--kb', 'ledger', '--json'], rig.env)).code).toBe(0);
    const otherHome = tmpDir('aiml-other-host-');
    const mine = tmpDir('aiml-corpus-mine-');
    writeTree(mine, { 'notes.md': '# Notes\nalpha beta\n' });
    const other = new KbRegistry(otherHome, new LocalOnnxEmbedder(), { kind: 'qdrant', url: qdrant.url });
    try {
      await expect(other.get('ledger', { root: mine })).rejects.toMatchObject({
        code: 'KB_SHARED',
        message: expect.stringContaining(`indexed by another host (or by this one before its state folder was lost). Search it as it is, sync it from the host that indexed it, or take it over here: aiml kb add ${mine} --kb ledger --adopt`),
      });
      expect(fs.existsSync(path.join(otherHome, 'kb', 'ledger'))).toBe(false); // nothing of it saved here
      expect(await (await other.get('ledger')).store.count()).toBeGreaterThan(0); // still searchable as it is

      const adopted = await other.get('ledger', { root: mine, adopt: true });
      expect(adopted.settings).toMatchObject({ name: 'ledger', root: mine, store: 'qdrant' });
      expect(adopted.settings.shared).toBeUndefined();
      expect(await adopted.store.count()).toBe(0); // emptied: this host's folder is indexed into it from scratch
      expect(other.exists('ledger')).toBe(true);
      // Taken over once: opening it again (a retried scan) does not empty it again.
      const meta = { path: 'notes.md', language: 'markdown', kind: 'section', startLine: 1, endLine: 2, hash: 'h' } as const;
      await adopted.store.upsert([{ id: '00000000-0000-4000-8000-000000000001', vector: new Float32Array(384).fill(1 / Math.sqrt(384)), meta, text: 'alpha beta' }]);
      expect(await (await other.get('ledger', { root: mine, adopt: true })).store.count()).toBe(1);
      expect(await other.remove('ledger')).toBe(true);
    } finally {
      await other.closeAll();
    }
  }, 120_000);
}
