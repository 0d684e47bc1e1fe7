import fs from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { designActivities, type GatherContextOutput } from '../../src/activities/design';
import type { ActivityDeps } from '../../src/activities/deps';
import { designContextQuery, planContextQuery, specParts, workspaceContext } from '../../src/design/workspace-context';
import { renderSpec } from '../../src/design/render';
import { SECTION_KEYS, SECTION_TITLES, type ArchitectureDraft } from '../../src/design/architecture';
import { contextFromPieces, CONTEXT_SIMILARITY, gatherWorkspaceContext, renderContext, type ContextPiece } from '../../src/design/context';
import { PROJECT_ROOT } from '../../src/paths';
import { StaticEmbedder } from '../../src/rag/embed/static-model';
import { KbRegistry } from '../../src/rag/registry';
import { BlobStore } from '../../src/storage/blob-store';
import { ensureLocalModel } from '../../src/rag/embed/model-install';
import { tmpDir } from '../support/env';
import { redactSecrets } from '../../src/security/secrets';
import { aimlEnv, runCli } from '../support/processes';
import { writeTree } from '../support/files';

const KEY = 'sk-proj-Xq7Lm2Rt9Vb4Nc8Kd1Wz6Hs3Jf5Gp0Ta2Ue7Yi4Oo9Pl3Mk6';

const piece = (p: string, startLine: number, lines: number, similarity: number, text?: string): ContextPiece => ({
  path: p,
  startLine,
  endLine: startLine + lines - 1,
  text: text ?? Array.from({ length: lines }, (_, i) => `${p} line ${startLine + i}`).join('\n'),
  similarity,
});

describe('contextFromPieces', () => {
  test('keeps the README and manifest first, then the files of pieces near the best, in the order of their best piece, pieces in line order', () => {
    const root = writeTree(tmpDir('aiml-ctx-pieces-'), { 'README.md': '# shop\n', 'package.json': '{"name":"shop"}\n', 'docs/README.md': '# not at the root\n' });
    const files = contextFromPieces(root, [
      piece('src/diff/line.ts', 40, 3, 0.61),
      piece('src/diff/base.ts', 1, 2, 0.5),
      piece('src/diff/line.ts', 5, 2, 0.42),
      piece('src/diff/line.ts', 43, 1, 0.4), // follows on from lines 40-42: shown as one
      piece('README.md', 1, 1, 0.7), // shown whole as a root file, not twice
      piece('src/cart.ts', 1, 2, 0.29), // under half the best (0.7), and under the cap of that floor (0.3)
      piece('src/far.ts', 1, 2, 0.1),
    ]);
    expect(files.map((f) => f.path)).toEqual(['README.md', 'package.json', 'src/diff/line.ts', 'src/diff/base.ts']);
    const line = files[2]!;
    expect(line.lines).toEqual([
      [5, 6],
      [40, 43],
    ]);
    expect(line.excerpt).toBe('src/diff/line.ts line 5\nsrc/diff/line.ts line 6\n…\nsrc/diff/line.ts line 40\nsrc/diff/line.ts line 41\nsrc/diff/line.ts line 42\nsrc/diff/line.ts line 43');
    expect(line.score).toBe(0.61);
    expect(files[0]!.excerpt).toBe('# shop\n');
    expect(renderContext({ files, kb: [] })).toContain('### src/diff/line.ts (lines 5-6, 40-43)\n```\nsrc/diff/line.ts line 5\n');
  });

  test('pieces under the absolute floor are not about the query, however they rank: nothing beyond the root files', () => {
    const root = tmpDir('aiml-ctx-pieces-none-');
    const under = CONTEXT_SIMILARITY.min - 0.01;
    expect(contextFromPieces(root, [piece('src/a.ts', 1, 2, under), piece('src/b.ts', 1, 2, under - 0.05)])).toEqual([]);
  });

  test('prose has the higher floor: a Markdown piece at 0.27 is not about the query, a code piece at 0.27 is', () => {
    const root = tmpDir('aiml-ctx-prose-');
    expect(CONTEXT_SIMILARITY.minProse).toBeGreaterThan(0.27);
    const files = contextFromPieces(root, [piece('src/voice.ts', 1, 2, 0.5), piece('docs/voice.md', 1, 2, 0.27), piece('src/calendar.ts', 1, 2, 0.27), piece('notes.txt', 1, 2, 0.29)]);
    expect(files.map((f) => f.path)).toEqual(['src/voice.ts', 'src/calendar.ts']);
    expect(contextFromPieces(root, [piece('docs/voice.md', 1, 2, 0.31)]).map((f) => f.path)).toEqual(['docs/voice.md']);
  });

  test("a spec read back redacted (from the blob store) still recognises its own file, which holds the key", () => {
    const spec = ['# Payments', '', `Call the provider with the key ${KEY} from the settings, retrying failed charges.`, ''].join('\n');
    const root = writeTree(tmpDir('aiml-ctx-shown-redacted-'), { 'SPECS.md': spec, 'src/pay.ts': 'export function charge(cents: number) { return cents; }\n'.repeat(3) });
    const redacted = redactSecrets(spec, 'SPECS.md').text;
    expect(redacted).not.toContain(KEY);
    const pieces = [piece('SPECS.md', 1, 3, 0.9, spec.trimEnd()), piece('src/pay.ts', 1, 3, 0.5)];
    expect(contextFromPieces(root, pieces, { shown: redacted }).map((f) => f.path)).toEqual(['src/pay.ts']);
    expect(gatherWorkspaceContext(root, 'payments provider charges retrying', { shown: redacted }).map((f) => f.path)).not.toContain('SPECS.md');
    expect(gatherWorkspaceContext(root, 'payments provider charges retrying').map((f) => f.path)).toContain('SPECS.md');
  });

  test('a copy of the brief does not floor out the code; a plan leaves out what its prompt shows already (the spec file)', () => {
    const spec = ['# Embedding cache', '', 'Put a cache in front of the embedding model so a chunk seen before is not embedded again.', 'Key it by the chunk text hash.', ''].join('\n');
    const root = writeTree(tmpDir('aiml-ctx-shown-'), { 'SPECS.md': spec, 'src/embed/cache.ts': 'export class EmbeddingCache { /* vectors by text hash, kept on disk between runs */ }\n'.repeat(3) });
    const pieces = [piece('SPECS.md', 1, 5, 0.95, spec.trimEnd()), piece('src/embed/cache.ts', 1, 3, 0.36), piece('src/far.ts', 1, 2, 0.29)];
    // Beside its own copy (0.95) the cache (0.36) is under half the best, but the floor stops at CONTEXT_SIMILARITY.cap.
    expect(CONTEXT_SIMILARITY.cap).toBeLessThan(0.36);
    expect(contextFromPieces(root, pieces).map((f) => f.path)).toEqual(['SPECS.md', 'src/embed/cache.ts']);
    // A plan's prompt holds the spec: it is not shown again (and the floor follows the best that is left: 0.29 passes).
    expect(contextFromPieces(root, pieces, { shown: spec }).map((f) => f.path)).toEqual(['src/embed/cache.ts', 'src/far.ts']);
    // Ranked by words the same: the spec file is not a candidate.
    expect(gatherWorkspaceContext(root, spec).map((f) => f.path)).toContain('SPECS.md');
    expect(gatherWorkspaceContext(root, spec, { shown: spec }).map((f) => f.path)).toEqual(['src/embed/cache.ts']);
  });

  test('pieces a few blank lines apart are shown as one, blank lines kept; a gap with code in it, or a longer one, stays a gap', () => {
    const file = ['function a() {', '  return 1;', '}', '', 'function b() {', '  return 2;', '}', '// between', 'function c() {}', '', '', '', '', 'function d() {}'].join('\n');
    const root = writeTree(tmpDir('aiml-ctx-blank-gap-'), { 'src/f.ts': file });
    const at = (start: number, end: number) => ({ path: 'src/f.ts', startLine: start, endLine: end, text: file.split('\n').slice(start - 1, end).join('\n'), similarity: 0.5 });
    const [f] = contextFromPieces(root, [at(1, 3), at(5, 7), at(9, 9), at(14, 14)]);
    expect(f!.lines).toEqual([
      [1, 7],
      [9, 9],
      [14, 14],
    ]);
    expect(f!.excerpt).toBe('function a() {\n  return 1;\n}\n\nfunction b() {\n  return 2;\n}\n…\nfunction c() {}\n…\nfunction d() {}');
    expect(renderContext({ files: [f!], kb: [] })).toContain('### src/f.ts (lines 1-7, 9, 14)\n');
  });

  test("a spec's parts: each list floored against its own best, their files taken in turns, so each part's best file comes before any part's second", () => {
    const root = tmpDir('aiml-ctx-parts-');
    const yaml = [piece('yaml/load.js', 1, 2, 0.9), piece('yaml/dump.js', 1, 2, 0.6), piece('yaml/load.js', 10, 2, 0.5)];
    // A weaker part: its best is 0.4, so 0.25 passes its floor (0.22 and half its best) though it is under half of the other part's best.
    const uuid = [piece('uuid/v7.js', 1, 2, 0.4), piece('uuid/rng.js', 1, 2, 0.25), piece('yaml/load.js', 1, 2, 0.3), piece('uuid/far.js', 1, 2, 0.1)];
    const files = contextFromPieces(root, [yaml, uuid]);
    expect(files.map((f) => f.path)).toEqual(['yaml/load.js', 'uuid/v7.js', 'yaml/dump.js', 'uuid/rng.js']);
    expect(files[0]!.lines).toEqual([
      [1, 2],
      [10, 11],
    ]);
    expect(files[0]!.score).toBe(0.9); // found by both parts: its best similarity
    // As one list the weaker part's second file is floored out (0.25 < min(0.9 / 2, cap 0.3)).
    expect(contextFromPieces(root, [...yaml, ...uuid]).map((f) => f.path)).not.toContain('uuid/rng.js');
  });

  test("a part that matches loosely (a spec's overview) gives its best file, and its weaker files wait until every part's stronger ones are in", () => {
    const root = tmpDir('aiml-ctx-turns-');
    const overview = [piece('app/index.js', 1, 2, 0.35), piece('app/server.js', 1, 2, 0.34), piece('app/config.js', 1, 2, 0.33)];
    const parsing = [piece('yaml/load.js', 1, 2, 0.6), piece('yaml/parse.js', 1, 2, 0.55), piece('yaml/scan.js', 1, 2, 0.5)];
    const ids = [piece('uuid/v7.js', 1, 2, 0.58), piece('uuid/rng.js', 1, 2, 0.45), piece('uuid/bin.js', 1, 2, 0.4)]; // 0.4 is under 0.7 of the best part's 0.6
    const order = contextFromPieces(root, [overview, parsing, ids], { maxFiles: 20 }).map((f) => f.path);
    expect(order).toEqual(['app/index.js', 'yaml/load.js', 'uuid/v7.js', 'yaml/parse.js', 'uuid/rng.js', 'yaml/scan.js', 'app/server.js', 'uuid/bin.js', 'app/config.js']);
    // In six files, the sections' second and third files rather than the overview's.
    expect(contextFromPieces(root, [overview, parsing, ids], { maxFiles: 6 }).map((f) => f.path)).toEqual(order.slice(0, 6));
  });

  test("a file's room goes to its most similar pieces, shown in line order; overlapping pieces show their lines once; no fragment of a line or two", () => {
    const root = tmpDir('aiml-ctx-room-');
    const found = [
      piece('src/big.ts', 1, 30, 0.3), // early in the file but the least similar: no room left for it
      piece('src/big.ts', 200, 10, 0.6),
      piece('src/big.ts', 205, 10, 0.5), // overlaps 200-209: only 210-214 are new
      piece('src/big.ts', 100, 12, 0.4),
    ];
    // 10 + 5 + 12 lines of about 24 bytes fit in 700; the 30-line piece would fit only in part, as two lines.
    const [f] = contextFromPieces(root, found, { excerptBytes: 700 });
    expect(f!.lines).toEqual([
      [100, 111],
      [200, 214],
    ]);
    expect(f!.excerpt.split('\n').filter((l) => l === 'src/big.ts line 205')).toHaveLength(1);
    expect(f!.excerpt.length).toBeLessThanOrEqual(700);
    expect(f!.excerpt).not.toContain('src/big.ts line 1\n');
  });

  test('an excerpt stays within its bytes, the last piece cut at a line; a credential is redacted and placed at its file line; maxFiles counts the root files', () => {
    const root = writeTree(tmpDir('aiml-ctx-pieces-cut-'), { 'README.md': '# x\n' });
    const secret = ['export const config = {', `  apiKey: "${KEY}",`, '};'].join('\n');
    const files = contextFromPieces(
      root,
      [piece('src/config.ts', 10, 3, 0.5, secret), piece('src/config.ts', 100, 200, 0.45), piece('src/b.ts', 1, 2, 0.44), piece('src/c.ts', 1, 2, 0.43)],
      { maxFiles: 3, excerptBytes: 400 },
    );
    expect(files.map((f) => f.path)).toEqual(['README.md', 'src/config.ts', 'src/b.ts']);
    const config = files[1]!;
    expect(config.excerpt.length).toBeLessThanOrEqual(400);
    expect(config.excerpt).not.toContain(KEY);
    expect(config.excerpt).toContain('[REDACTED: OpenAI API key]');
    expect(config.redactions).toEqual([{ rule: 'OpenAI API key', source: 'src/config.ts', line: 11 }]);
    // The second piece is cut at a line: its range says how far it goes.
    const [, cut] = config.lines!;
    expect(cut![0]).toBe(100);
    expect(cut![1]).toBeGreaterThan(100);
    expect(cut![1]).toBeLessThan(299);
    expect(config.excerpt.endsWith(`src/config.ts line ${cut![1]}`)).toBe(true);
  });
});

/** The npm corpus of bench:rag-quality (four libraries from node_modules), with a README, as a workspace. */
function npmWorkspace(): string {
  const ws = writeTree(tmpDir('aiml-ctx-npm-'), { 'README.md': '# vendored parsers\nYAML, diffs, protobuf and uuids for the importer.\n' });
  for (const src of ['js-yaml/lib', 'diff/libcjs', 'protobufjs/src', 'uuid/dist/cjs']) {
    fs.cpSync(path.join(PROJECT_ROOT, 'node_modules', src), path.join(ws, src), { recursive: true, filter: (f) => !f.endsWith('.min.js') && (fs.statSync(f).isDirectory() || f.endsWith('.js')) });
  }
  return ws;
}

describe('workspaceContext with the local models', () => {
  const registry = new KbRegistry(tmpDir('aiml-ctx-state-'), new StaticEmbedder());
  afterAll(() => registry.closeAll());
  const ws = npmWorkspace();

  test('finds by meaning the module that words over file starts miss, shown as its matching pieces', async () => {
    const brief = 'Invert a patch so that it undoes the change';
    const byWords = gatherWorkspaceContext(ws, brief).map((f) => f.path);
    expect(byWords).not.toContain('diff/libcjs/patch/reverse.js');

    const found = await workspaceContext({ codeModels: registry.codeModels() }, ws, brief, {});
    expect(found.ranking).toBe('meaning');
    expect(found.why).toBeUndefined();
    const paths = found.files.map((f) => f.path);
    expect(paths[0]).toBe('README.md');
    expect(paths.slice(1, 6)).toContain('diff/libcjs/patch/reverse.js');
    const reverse = found.files.find((f) => f.path === 'diff/libcjs/patch/reverse.js')!;
    expect(reverse.lines!.length).toBeGreaterThan(0);
    expect(reverse.excerpt).toContain('function reversePatch');
    // Every file kept is about diffs and patches: no YAML, protobuf or uuid module.
    expect(paths.slice(1).every((p) => p.startsWith('diff/'))).toBe(true);
  }, 180_000);

  test("a plan's spec is searched part by part: each section's best file is shown, where the spec as one query misses some", async () => {
    const sections = [
      '## Configuration\nLet users write the configuration as YAML: turn the document string into JavaScript objects.',
      '## Record ids\nName-based uuids for records, hashed with SHA-1 from a namespace and the record name.',
      '## Wire format\nRead varints and length-delimited fields from the protobuf buffers billing sends.',
    ];
    const spec = ['# Importer changes', '', 'The importer reads the files customers upload and hands records to billing. Every change ships behind a flag.', '', ...sections].join('\n');
    const { query, opts } = planContextQuery(spec);
    expect(query.parts).toHaveLength(4);
    const models = { codeModels: registry.codeModels() };
    // Each section's best file when it is searched alone: one in each library.
    const firsts: string[] = [];
    for (const section of sections) firsts.push((await workspaceContext(models, ws, section, opts)).files.find((f) => f.path !== 'README.md')!.path);
    expect(firsts.map((f) => f.split('/')[0])).toEqual(['js-yaml', 'uuid', 'protobufjs']);

    const byParts = await workspaceContext(models, ws, query, opts);
    expect(byParts.ranking).toBe('meaning');
    const paths = byParts.files.map((f) => f.path);
    expect(paths[0]).toBe('README.md');
    expect(paths.slice(1, 1 + query.parts.length)).toEqual(expect.arrayContaining(firsts));
    // A spec of three parts or more gets more, shorter files in the same bytes.
    expect(opts).toMatchObject({ maxFiles: 12, excerptBytes: 2000 });
    expect(planContextQuery('# One thing\n\nInvert a patch so that applying it undoes the change.\n').opts).toMatchObject({ maxFiles: 8, excerptBytes: 3000 });
    // In the room a plan had before (8 files), the same spec as one query (one embedding for all its
    // sections, of which MiniLM reads the first 128 tokens) misses a section's best file; by parts, none.
    const narrow = { ...opts, maxFiles: 8, excerptBytes: 3000 };
    const whole = (await workspaceContext(models, ws, query.text, narrow)).files.map((f) => f.path);
    expect(firsts.filter((f) => !whole.includes(f)).length).toBeGreaterThan(0);
    const partsNarrow = (await workspaceContext(models, ws, query, narrow)).files.map((f) => f.path);
    expect(partsNarrow).toEqual(expect.arrayContaining(firsts));
  }, 180_000);

  test('a brief about an unrelated system picks no code, only the README', async () => {
    const found = await workspaceContext({ codeModels: registry.codeModels() }, ws, 'A fraud detection model serving pipeline with a feature store and drift monitoring', {});
    expect(found.ranking).toBe('meaning');
    expect(found.files.map((f) => f.path)).toEqual(['README.md']);
  }, 180_000);

  test('without models, or when they fail, the context is ranked by words over file starts, and says why', async () => {
    const brief = 'parse a YAML document into objects';
    const plain = await workspaceContext({}, ws, brief, {});
    expect(plain).toEqual({ files: gatherWorkspaceContext(ws, brief), ranking: 'words' });

    const other = writeTree(tmpDir('aiml-ctx-broken-'), { 'src/yaml.ts': 'export function parseYamlDocument(text: string) { return text; }\n' });
    const broken = { id: 'local:broken', dims: 384, embed: async () => Promise.reject(new Error('model files missing')) };
    const refiner = { id: 'local:broken-refiner', similarities: async () => [] };
    const failed = await workspaceContext({ codeModels: { embedder: broken, refiner } }, other, brief, {});
    expect(failed.ranking).toBe('words');
    expect(failed.why).toBe('the local models failed: model files missing');
    expect(failed.files.map((f) => f.path)).toEqual(['src/yaml.ts']);
  }, 60_000);

  test("by words too, a query in parts is ranked part by part: each part's best file, in turns, after the root files", async () => {
    const parts = ['Parse YAML: load a YAML document into objects.', 'Name-based uuids hashed with SHA-1 from a namespace and a name.', 'Read varints and length-delimited fields from protobuf buffers.'];
    const firsts = parts.map((p) => gatherWorkspaceContext(ws, p).find((f) => f.path !== 'README.md')!.path);
    expect(firsts.map((f) => f.split('/')[0])).toEqual(['js-yaml', 'uuid', 'protobufjs']);
    const byParts = gatherWorkspaceContext(ws, parts).map((f) => f.path);
    expect(byParts.slice(0, 4)).toEqual(['README.md', ...firsts]);
    expect(byParts.length).toBeLessThanOrEqual(8);
    // Without the models, a query in parts falls back to this ranking.
    const fallback = await workspaceContext({}, ws, { text: parts.join('\n'), parts }, {});
    expect(fallback).toEqual({ files: gatherWorkspaceContext(ws, parts), ranking: 'words' });
  });

  test('on a host without the models, gathering context installs nothing: it ranks by words and says so', async () => {
    const bare = new StaticEmbedder({ env: { AIML_HOME: tmpDir('aiml-ctx-bare-home-') } });
    expect(bare.installed()).toBe(false);
    expect(new StaticEmbedder().installed()).toBe(true); // the test run's models, readied by its global setup
    let embedded = 0;
    const never = { id: bare.id, dims: bare.dims, installed: () => bare.installed(), embed: () => ((embedded += 1), new Promise<Float32Array[]>(() => {})) };
    const refiner = { id: 'local:never', similarities: () => new Promise<number[]>(() => {}) };
    const started = Date.now();
    const found = await workspaceContext({ codeModels: { embedder: never, refiner } }, ws, 'parse a YAML document into objects', {});
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(found.ranking).toBe('words');
    expect(found.why).toBe('the local models are not installed on this host yet (npm run setup installs them)');
    expect(found.files.some((f) => f.path.startsWith('js-yaml/'))).toBe(true);
    expect(embedded).toBe(0);
  });

  test('the design activity gathers its context by meaning with the worker models and says so in its result', async () => {
    const blobs = new BlobStore(tmpDir('aiml-ctx-blobs-'));
    const deps = { blobs, stateDir: tmpDir('aiml-ctx-act-'), codeModels: registry.codeModels() } as unknown as ActivityDeps;
    const out: GatherContextOutput = await new MockActivityEnvironment().run(designActivities(deps).gatherDesignContext, {
      brief: 'Let users write configuration in YAML: load the document, report malformed input with its position',
      workspace: ws,
    });
    expect(out.ranking).toBe('meaning');
    expect(out.files[0]).toBe('README.md');
    expect(out.files.slice(1).some((f) => f.startsWith('js-yaml/lib/'))).toBe(true);
    const text = blobs.get(out.contextRef);
    expect(text).toMatch(/^### js-yaml\/lib\/[\w/]+\.js \(lines \d+-\d+(, \d+-\d+)*\)$/m);
  }, 180_000);
});

describe('specParts', () => {
  test("a Markdown spec: its first- and second-level sections, the text before them; deeper headings stay in their section; near-empty ones left out", () => {
    const spec = [
      '# Importer',
      'Reads the files customers upload and turns them into records.',
      '## YAML input',
      'Turn a YAML document string into JavaScript objects.',
      '### Errors',
      'Show the lines around a parse error.',
      '## Notes',
      'tbd',
      '## Ids',
      'Give every record a time-ordered uuid.',
    ].join('\n');
    expect(specParts(spec)).toEqual([
      '# Importer\nReads the files customers upload and turns them into records.',
      '## YAML input\nTurn a YAML document string into JavaScript objects.\n### Errors\nShow the lines around a parse error.',
      '## Ids\nGive every record a time-ordered uuid.',
    ]);
  });

  test("aiml's own SPECS.md: the brief and overview, then each item of the architecture block; no fences, no approval record", () => {
    const draft = {
      title: 'Support assistant',
      overview: 'An assistant that answers customer questions from the product docs, with citations.',
      openQuestions: [],
      ...Object.fromEntries(SECTION_KEYS.map((k) => [k, { summary: `What the ${k} part of the system does, in a sentence.`, decisions: [{ choice: `a choice for ${k}`, rationale: 'a reason' }], risks: [] }])),
    } as unknown as ArchitectureDraft;
    const spec = renderSpec(draft, { brief: 'Design a support assistant', decisions: [{ gate: 'design', round: 1, decision: 'approve', by: 'ana', at: '2026-11-29T00:00:00Z', via: 'cli' }] as never });
    const parts = specParts(spec);
    expect(parts).toHaveLength(1 + SECTION_KEYS.length);
    expect(parts[0]).toBe('# Support assistant\n\n> Brief: Design a support assistant\n\nAn assistant that answers customer questions from the product docs, with citations.');
    expect(parts[1]).toBe(`- ${SECTION_TITLES[SECTION_KEYS[0]!]}: What the ${SECTION_KEYS[0]} part of the system does, in a sentence.\n  - a choice for ${SECTION_KEYS[0]} (why: a reason)`);
    expect(parts.join('\n')).not.toContain('```');
    expect(parts.join('\n')).not.toContain('Approval record');
  });

  test('a brief is one query unless it has sections (a brief pasted from a Markdown file)', () => {
    expect(designContextQuery('Invert a patch so that it undoes the change').query).toEqual({ text: 'Invert a patch so that it undoes the change', parts: ['Invert a patch so that it undoes the change'] });
    const pasted = '## Undo\nInvert a patch so that applying it undoes the change.\n\n## Ids\nName-based uuids hashed with SHA-1 from a namespace.\n';
    expect(designContextQuery(pasted).query.parts).toEqual(['## Undo\nInvert a patch so that applying it undoes the change.', '## Ids\nName-based uuids hashed with SHA-1 from a namespace.']);
    expect(designContextQuery(pasted).opts).toEqual({});
  });

  test("a spec whose sections are `###` is split there; `#` lines in code fences are comments, not headings", () => {
    const spec = [
      '# Importer',
      '### YAML input',
      'Turn a YAML document string into JavaScript objects.',
      '```sh',
      '# install the parser first',
      'npm install js-yaml',
      '```',
      '### Record ids',
      'Give every record a time-ordered uuid.',
    ].join('\n');
    expect(specParts(spec)).toEqual([
      '### YAML input\nTurn a YAML document string into JavaScript objects.\n# install the parser first\nnpm install js-yaml',
      '### Record ids\nGive every record a time-ordered uuid.',
    ]);
  });

  test('a spec without sections is one part, its start, as before', () => {
    const spec = `Add retries to the payment client. ${'More detail. '.repeat(500)}`;
    expect(specParts(spec)).toEqual([spec.slice(0, 4000)]);
    expect(specParts('# Only a title\nand one line of text that is long enough')).toEqual(['# Only a title\nand one line of text that is long enough']);
  });
});

test('aiml code context shows the files a design or a plan would be shown, chosen as the worker chooses them; bad input is a usage error', async () => {
  const spec = ['# Undo for patches', '', 'Let users invert a patch so that applying it undoes the change, and apply it.', 'Reuse the structured patch format.', ''].join('\n');
  const ws = writeTree(npmWorkspace(), { 'SPECS.md': spec, 'config/keys.ts': `// the patch service key\nexport const PATCH_SERVICE_KEY = "${KEY}";\n` });
  const env = aimlEnv({ AIML_HOME: tmpDir('aiml-ctx-cli-'), AIML_EMBED_MODEL_DIR: path.dirname(ensureLocalModel().onnx) });

  const brief = 'Invert a patch so that it undoes the change';
  const design = await runCli(['code', 'context', brief, '--workspace', ws], env);
  expect(design.code).toBe(0);
  expect(design.stderr.trim()).toMatch(/^\d+ files, by meaning$/);
  // The text the design model reads: the same as the worker's activity renders.
  const registry = new KbRegistry(tmpDir('aiml-ctx-cli-state-'), new StaticEmbedder());
  try {
    const worker = await workspaceContext({ codeModels: registry.codeModels() }, ws, brief, {});
    expect(design.stdout.trim()).toBe(renderContext({ files: worker.files, kb: [] }));
  } finally {
    await registry.closeAll();
  }
  expect(design.stdout).toMatch(/^### diff\/libcjs\/patch\/reverse\.js \(lines [\d, -]+\)$/m);
  expect(design.stdout).not.toContain(KEY);

  const plan = JSON.parse((await runCli(['code', 'context', '--spec', path.join(ws, 'SPECS.md'), '--workspace', ws, '--json'], env)).stdout);
  expect(plan.ranking).toBe('meaning');
  const paths = plan.files.map((f: { path: string }) => f.path);
  expect(paths).toContain('diff/libcjs/patch/reverse.js');
  expect(paths).not.toContain('SPECS.md'); // the plan's prompt holds the spec already
  expect(plan.parts).toBeUndefined(); // one section: one query

  const twoParts = path.join(tmpDir('aiml-ctx-cli-spec-'), 'SPECS.md');
  fs.writeFileSync(twoParts, '# Changes\n\n## Undo\nInvert a patch so that applying it undoes the change.\n\n## Ids\nName-based uuids hashed with SHA-1 from a namespace and a name.\n');
  const byParts = await runCli(['code', 'context', '--spec', twoParts, '--workspace', ws], env);
  expect(byParts.stderr.trim()).toMatch(/^\d+ files, by meaning, the spec searched in 2 parts$/);
  expect(byParts.stdout).toMatch(/^### diff\//m);
  expect(byParts.stdout).toMatch(/^### uuid\//m);

  const words = await runCli(['code', 'context', brief, '--workspace', ws, '--lexical'], env);
  expect(words.stderr.trim()).toMatch(/^\d+ files, by words over file starts$/);
  expect(words.stdout).toMatch(/^### README\.md$/m);

  for (const [args, message] of [
    [['x', '--spec', path.join(ws, 'SPECS.md')], 'Give a brief or --spec, not both'],
    [[], 'The brief is empty (or give --spec <file>)'],
    [['--spec', path.join(ws, 'missing.md')], `File ${path.join(ws, 'missing.md')} does not exist`],
    [['--spec', ws], `${ws} is not a file`],
  ] as const) {
    const bad = await runCli(['code', 'context', ...args, '--workspace', ws], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(message);
  }
}, 240_000);
