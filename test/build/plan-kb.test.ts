import fs from 'node:fs';
import path from 'node:path';
import { kbSnippets } from '../../src/activities/kb-snippets';
import type { ActivityDeps } from '../../src/activities/deps';
import { specParts } from '../../src/design/workspace-context';
import { PROJECT_ROOT } from '../../src/paths';
import { StaticEmbedder } from '../../src/rag/embed/static-model';
import { KbRegistry } from '../../src/rag/registry';
import { HybridRetriever } from '../../src/rag/retriever';
import { scanDirectory } from '../../src/rag/walker';
import { tmpDir } from '../support/env';

/** A plan searches its knowledge base part by part, as it does the workspace. */
test("a plan's knowledge-base snippets: each section of the spec searched on its own, each section's best snippet among the first", async () => {
  const root = tmpDir('aiml-plan-kb-corpus-');
  for (const src of ['js-yaml/lib', 'uuid/dist/cjs', 'protobufjs/src']) {
    fs.cpSync(path.join(PROJECT_ROOT, 'node_modules', src), path.join(root, src), { recursive: true, filter: (f) => !f.endsWith('.min.js') && (fs.statSync(f).isDirectory() || f.endsWith('.js')) });
  }
  const registry = new KbRegistry(tmpDir('aiml-plan-kb-state-'), new StaticEmbedder());
  try {
    const kb = await registry.get('libs', { root });
    await kb.indexFiles(scanDirectory(root).files);
    const deps = { retriever: new HybridRetriever(registry) } as unknown as ActivityDeps;
    const sections = [
      '## Configuration\nLet users write the configuration as YAML: turn the document string into JavaScript objects.',
      '## Record ids\nName-based uuids for records, hashed with SHA-1 from a namespace and the record name.',
      '## Wire format\nRead varints and length-delimited fields from the protobuf buffers billing sends.',
    ];
    const spec = ['# Importer changes', '', 'The importer reads the files customers upload and hands records to billing. Every change ships behind a flag.', '', ...sections].join('\n');
    const parts = specParts(spec);
    expect(parts).toHaveLength(4);

    const bests: string[] = [];
    for (const section of sections) bests.push((await kbSnippets(deps, 'libs', section))[0]!.path);
    expect(bests.map((b) => b.split('/')[0])).toEqual(['js-yaml', 'uuid', 'protobufjs']);

    const snippets = await kbSnippets(deps, 'libs', parts);
    expect(snippets.length).toBeLessThanOrEqual(8);
    expect(snippets.slice(0, parts.length).map((s) => s.path)).toEqual(expect.arrayContaining(bests));
    // No snippet twice.
    expect(new Set(snippets.map((s) => `${s.path}:${s.startLine}`)).size).toBe(snippets.length);
    // One query: a single list of 6.
    expect(await kbSnippets(deps, 'libs', spec)).toHaveLength(6);
    // No knowledge base named: none, without a retriever.
    expect(await kbSnippets({} as ActivityDeps, undefined, parts)).toEqual([]);
  } finally {
    await registry.closeAll();
  }
}, 120_000);
