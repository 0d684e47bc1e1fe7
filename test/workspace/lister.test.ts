import fs from 'node:fs';
import path from 'node:path';
import { gatherWorkspaceContext } from '../../src/design/context';
import { listWorkspace } from '../../src/workspace/lister';
import { tmpDir } from '../support/env';
import { writeAt } from '../support/files';

test('gitignore rules: globs, anchoring, folder-only, ** and negation (last rule wins)', () => {
  const root = tmpDir('aiml-list-');
  writeAt(root, '.gitignore', '# comment\n*.log\n/build\ncache/\ndocs/**/*.tmp\n!keep.log\n');
  for (const f of ['a/b/debug.log', 'keep.log', 'build/out.js', 'src/build/step.ts', 'x/cache/c.txt', 'y/cache', 'docs/a/b/c.tmp', 'docs/c.tmp', 'src/c.tmp']) writeAt(root, f, 'x');
  expect(listWorkspace(root).files).toEqual(['.gitignore', 'keep.log', 'src/build/step.ts', 'src/c.tmp', 'y/cache']);
});

test('nested .gitignore files and .git/info/exclude apply; a deeper ! re-includes; the skip list needs no rule', () => {
  const root = tmpDir('aiml-list-');
  writeAt(root, '.git/info/exclude', 'local-notes.md\n');
  writeAt(root, '.git/HEAD', 'ref: refs/heads/main\n');
  writeAt(root, '.gitignore', 'dist/\n*.gen.ts\n');
  writeAt(root, 'src/.gitignore', 'scratch/\n!keep.gen.ts\n');
  for (const f of ['local-notes.md', 'dist/a.js', 'src/a.ts', 'src/x.gen.ts', 'src/keep.gen.ts', 'src/scratch/s.ts', 'node_modules/d/i.js', '.aiml/state.json', 'lib/y.gen.ts']) writeAt(root, f, 'x');
  const out = listWorkspace(root);
  expect(out.files).toEqual(['.gitignore', 'src/.gitignore', 'src/a.ts', 'src/keep.gen.ts']);
  // .git, .aiml, dist, local-notes.md, lib/y.gen.ts, node_modules, src/scratch, src/x.gen.ts
  expect(out.ignored).toBe(8);
  expect(out.truncated).toBe(false);
});

test('under= lists one folder with the ignore files above it; limit cuts and says so; symlinks are not followed', () => {
  const root = tmpDir('aiml-list-');
  writeAt(root, '.gitignore', '*.tmp\n');
  for (const f of ['src/a.ts', 'src/b.tmp', 'src/deep/c.ts', 'other/d.ts']) writeAt(root, f, 'x');
  fs.symlinkSync('/etc', path.join(root, 'src', 'link'));
  expect(listWorkspace(root, { under: 'src' }).files).toEqual(['src/a.ts', 'src/deep/c.ts']);
  expect(listWorkspace(root, { under: './src/deep/' }).files).toEqual(['src/deep/c.ts']);
  const cut = listWorkspace(root, { limit: 2 });
  expect(cut).toMatchObject({ files: ['.gitignore', 'other/d.ts'], truncated: true });
  expect(() => listWorkspace(root, { under: '../x' })).toThrow(/".." segments are not allowed/);
  expect(() => listWorkspace(root, { under: 'nope' })).toThrow(/Folder "nope" does not exist/);
  expect(listWorkspace(root, { under: 'node_modules' }).files).toEqual([]);
});

test('context gathering sees a source folder named build; build output is left out only where a gitignore says so', () => {
  const root = tmpDir('aiml-list-');
  writeAt(root, '.gitignore', '/dist/\n');
  writeAt(root, 'src/build/plan.ts', 'export function planEmbeddingSteps() {}\n');
  writeAt(root, 'dist/build/plan.js', 'function planEmbeddingSteps() {}\n');
  const found = gatherWorkspaceContext(root, 'plan embedding steps').map((f) => f.path);
  expect(found).toEqual(['src/build/plan.ts']);
});

test('design context passes over lockfiles and minified bundles however well they match the brief; the lister itself still lists them', () => {
  const root = tmpDir('aiml-list-gen-');
  writeAt(root, 'package-lock.json', '{"packages": {"node_modules/embedding-planner": {"version": "1.0.0"}}}\n');
  writeAt(root, 'public/planner.min.js', 'function planEmbeddingSteps(){}\n');
  writeAt(root, 'src/planner.ts', 'export function planEmbeddingSteps() {}\n');
  expect(gatherWorkspaceContext(root, 'embedding planner: plan embedding steps').map((f) => f.path)).toEqual(['src/planner.ts']);
  expect(listWorkspace(root).files).toEqual(['package-lock.json', 'public/planner.min.js', 'src/planner.ts']);
});
