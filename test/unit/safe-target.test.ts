import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkOutputTarget } from '../../src/workspace/output-file';

/** Where SPECS.md and the build report may go: the check both writers (and the pre-gate check) use. */
const safeTarget = (ws: string, rel: string): string => checkOutputTarget(ws, rel).path;

test('SPECS.md and the build report go inside the workspace only, never through a link, never into a secret store', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-ws-'));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-out-'));
  expect(safeTarget(ws, 'docs/SPECS.md')).toBe(path.join(ws, 'docs', 'SPECS.md'));
  fs.symlinkSync(path.join(outside, 'SPECS.md'), path.join(ws, 'SPECS.md'));
  expect(() => safeTarget(ws, 'SPECS.md')).toThrow(/symbolic link/);
  expect(() => safeTarget(ws, '../SPECS.md')).toThrow(/"\.\." segments/);
  expect(() => safeTarget(ws, '/etc/SPECS.md')).toThrow(/absolute paths/);
  expect(() => safeTarget(ws, '.env')).toThrow(/secret store/);
  expect(fs.readdirSync(outside)).toEqual([]);
});
