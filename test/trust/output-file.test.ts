import fs from 'node:fs';
import path from 'node:path';
import { checkOutputTarget, outputOwner, stampOutput, writeOutputFile } from '../../src/workspace/output-file';
import { stripControlChars } from '../../src/workspace/sanitize';
import { tmpDir } from '../support/env';

test('control characters and terminal escapes are stripped; tab and newline stay', () => {
  const raw = 'a\u001b[31mred\u001b[0m b\u0007c\u0000d\r\n\te\u001b]0;title\u0007f\u009bg\u007fh\u0001\u001f i';
  expect(stripControlChars(raw)).toBe('ared bcd\n\tef' + 'gh i');
  expect(stripControlChars('plain — text ✓\n')).toBe('plain — text ✓\n');
});

test('stamped text: aiml knows its own unchanged file, and any edit makes it the user\'s', () => {
  const text = stampOutput('# Spec\u001b[2J\nbody\n');
  expect(text).not.toMatch(/\u001b/);
  expect(outputOwner(text)).toBe('aiml');
  expect(outputOwner(undefined)).toBe('absent');
  expect(outputOwner('# my notes\n')).toBe('user');
  expect(outputOwner(text.replace('body', 'body edited'))).toBe('user');
  expect(outputOwner(`${text}one more line\n`)).toBe('user');
  expect(outputOwner(text.replace(/[0-9a-f]{64}/, '0'.repeat(64)))).toBe('user');
});

test('a user\'s file is refused (left as it was) unless forced; aiml\'s own unchanged file is replaced', () => {
  const ws = tmpDir();
  const spec = path.join(ws, 'SPECS.md');
  expect(checkOutputTarget(ws, 'SPECS.md')).toEqual({ path: spec, owner: 'absent', forced: false });
  const first = writeOutputFile(ws, 'SPECS.md', 'v1\n');
  expect(first).toMatchObject({ owner: 'absent', unchanged: false });
  expect(writeOutputFile(ws, 'SPECS.md', 'v1\n')).toMatchObject({ owner: 'aiml', unchanged: true }); // a retried write
  expect(writeOutputFile(ws, 'SPECS.md', 'v2\n')).toMatchObject({ owner: 'aiml', unchanged: false });
  fs.appendFileSync(spec, 'my own note\n');
  const edited = fs.readFileSync(spec, 'utf8');
  expect(() => writeOutputFile(ws, 'SPECS.md', 'v3\n')).toThrow(/SPECS.md already exists in .* and aiml did not write it \(or it was changed since aiml did\): refusing to overwrite it.*--force/);
  expect(fs.readFileSync(spec, 'utf8')).toBe(edited);
  expect(writeOutputFile(ws, 'SPECS.md', 'v3\n', true)).toMatchObject({ owner: 'user', forced: true });
  expect(fs.readFileSync(spec, 'utf8')).toMatch(/^v3\n/);
});

test('links, paths outside the workspace, secret stores and a missing workspace are refused before anything is written', () => {
  const ws = tmpDir();
  const outside = tmpDir();
  fs.symlinkSync(path.join(outside, 'SPECS.md'), path.join(ws, 'SPECS.md'));
  expect(() => checkOutputTarget(ws, 'SPECS.md')).toThrow(/symbolic link/);
  expect(() => checkOutputTarget(ws, '../SPECS.md')).toThrow(/"\.\." segments/);
  expect(() => checkOutputTarget(ws, '.env')).toThrow(/secret store/);
  expect(() => checkOutputTarget(path.join(ws, 'nope'), 'SPECS.md')).toThrow(/The workspace .*nope does not exist/);
  expect(fs.readdirSync(outside)).toEqual([]);
});
