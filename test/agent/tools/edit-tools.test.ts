import fs from 'node:fs';
import path from 'node:path';
import type { AgentTool, EditResult } from '../../../src/agent/tools/types';
import { tmpDir } from '../../support/env';
import { writeAt } from '../../support/files';
import { ctxFor, toolset } from './helpers';

const SRC = 'export function add(a, b) {\n  return a + b;\n}\n\nexport function sub(a, b) {\n  return a - b;\n}\n';

async function callEdit(ws: string, name: string, args: unknown): Promise<EditResult> {
  const parsed = toolset.parseCall({ id: 'e1', name, arguments: JSON.stringify(args) });
  if (!parsed.ok) return parsed;
  const tool = parsed.tool as AgentTool;
  if (tool.kind !== 'edit') throw new Error(`${name} is not an edit tool`);
  return tool.prepare(parsed.args, ctxFor(ws));
}

function workspace(): string {
  const ws = tmpDir('aiml-edit-');
  writeAt(ws, 'src/math.js', SRC);
  return ws;
}

test('edit_file prepares an exact unique replacement with its diff, and writes nothing', async () => {
  const ws = workspace();
  const out = await callEdit(ws, 'edit_file', { path: 'src/math.js', old_text: '  return a + b;', new_text: '  return a + b + 0;' });
  if (!out.ok) throw new Error(out.error);
  expect(out.files).toEqual([expect.objectContaining({ path: 'src/math.js', before: SRC, after: SRC.replace('a + b;', 'a + b + 0;'), beforeHash: expect.any(String), afterHash: expect.any(String) })]);
  expect(out.diff).toContain('-  return a + b;\n+  return a + b + 0;\n');
  expect(out.summary).toBe('edit_file src/math.js · +1 −1');
  expect(fs.readFileSync(path.join(ws, 'src/math.js'), 'utf8')).toBe(SRC);
});

test('edit_file with no match answers with the nearest lines, their numbers and how they differ', async () => {
  const ws = workspace();
  const out = await callEdit(ws, 'edit_file', { path: 'src/math.js', old_text: 'export function sub(a, b) {\n  return a - c;\n}', new_text: 'x' });
  expect(out.ok).toBe(false);
  const error = (out as { error: string }).error;
  expect(error).toMatch(/^edit_file refused, nothing was changed:\n- edit 1 \(src\/math\.js\), block 1 \[NO_MATCH\]: the search text matches nowhere/);
  expect(error).toContain('nearest lines (5-8):\n    5 | export function sub(a, b) {\n    6 |   return a - b;');
  expect(error).toContain('how your search text differs from these lines:\n- line 6: you have `return a - c;`, the file has `return a - b;`');
  expect(error).not.toContain('line 5:');
});

test('edit_file with several matches says where they are; multi_edit is all or nothing', async () => {
  const ws = workspace();
  const many = await callEdit(ws, 'edit_file', { path: 'src/math.js', old_text: '(a, b) {', new_text: '(x, y) {' });
  expect((many as { error: string }).error).toMatch(/\[AMBIGUOUS\]: the search text occurs 2 times \(lines 1, 5\)/);
  const partial = await callEdit(ws, 'multi_edit', {
    path: 'src/math.js',
    edits: [
      { old_text: 'return a + b;', new_text: 'return b + a;' },
      { old_text: 'return nothing;', new_text: 'x' },
    ],
  });
  expect((partial as { error: string }).error).toMatch(/block 2 \[NO_MATCH\]/);
  const both = await callEdit(ws, 'multi_edit', {
    path: 'src/math.js',
    edits: [
      { old_text: 'return a + b;', new_text: 'return b + a;' },
      { old_text: 'return b + a;\n}\n\nexport', new_text: 'return b + a; // sum\n}\n\nexport' }, // sees the first edit's result
    ],
  });
  if (!both.ok) throw new Error(both.error);
  expect(both.files[0]!.after).toBe(SRC.replace('return a + b;', 'return b + a; // sum'));
  expect(both.summary).toBe('multi_edit src/math.js · +1 −1');
  expect(fs.readFileSync(path.join(ws, 'src/math.js'), 'utf8')).toBe(SRC);
});

test('write_file creates or replaces; the path guards and secret scan of prepareEdits apply', async () => {
  const ws = workspace();
  const created = await callEdit(ws, 'write_file', { path: 'src/new.js', content: 'export const x = 1;\n' });
  expect(created).toMatchObject({ ok: true, summary: 'write_file src/new.js (new file) · +1 −0', files: [{ path: 'src/new.js', before: null, after: 'export const x = 1;\n' }] });
  expect(fs.existsSync(path.join(ws, 'src/new.js'))).toBe(false);
  expect((await callEdit(ws, 'write_file', { path: 'src/math.js', content: SRC })) as { error: string }).toEqual({ ok: false, error: 'write_file changes nothing: the file already has exactly that content' });
  expect(((await callEdit(ws, 'write_file', { path: '.git/config', content: 'x' })) as { error: string }).error).toMatch(/\[PATH_REFUSED\].*inside \.git\//);
  expect(((await callEdit(ws, 'write_file', { path: '../out.js', content: 'x' })) as { error: string }).error).toMatch(/\[PATH_REFUSED\]/);
  const key = `sk-${'Qw7'.repeat(14)}`;
  expect(((await callEdit(ws, 'write_file', { path: 'src/k.js', content: `const k = "${key}";\n` })) as { error: string }).error).toMatch(/\[SECRET\]/);
  expect(((await callEdit(ws, 'edit_file', { path: 'src/math.js', old_text: '', new_text: 'x' })) as { error: string }).error).toMatch(/old_text: Too small/);
});
