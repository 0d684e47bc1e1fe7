import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createShadow } from '../../src/workspace/shadow';
import { tmpDir } from '../support/env';
import { writeAt } from '../support/files';

const read = (dir: string, rel: string): string => fs.readFileSync(path.join(dir, rel), 'utf8');

function gitRepo(): string {
  const ws = tmpDir('aiml-shadow-ws-');
  const git = (...args: string[]): string => execFileSync('git', ['-C', ws, ...args], { encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 't@example.com');
  git('config', 'user.name', 't');
  writeAt(ws, '.gitignore', 'dist/\nnode_modules/\n');
  writeAt(ws, 'a.txt', 'committed\n');
  writeAt(ws, 'gone.txt', 'to be deleted\n');
  writeAt(ws, 'run.sh', '#!/bin/sh\necho hi\n');
  fs.chmodSync(path.join(ws, 'run.sh'), 0o755);
  git('add', '-A');
  git('commit', '-qm', 'init');
  // uncommitted state: a change, a deletion, a staged new file, an untracked file, ignored output
  writeAt(ws, 'a.txt', 'changed, not committed\n');
  fs.rmSync(path.join(ws, 'gone.txt'));
  writeAt(ws, 'staged.txt', 'staged\n');
  git('add', 'staged.txt');
  writeAt(ws, 'notes/new.md', 'untracked\n');
  writeAt(ws, 'dist/out.js', 'build output\n');
  writeAt(ws, 'node_modules/dep/index.js', 'module.exports = 1;\n');
  return ws;
}

test('a git workspace: a detached worktree with the uncommitted state carried over, dependencies linked, disposed cleanly', () => {
  const ws = gitRepo();
  const shadow = createShadow(ws);
  try {
    expect(shadow.kind).toBe('git-worktree');
    expect(read(shadow.dir, 'a.txt')).toBe('changed, not committed\n');
    expect(fs.existsSync(path.join(shadow.dir, 'gone.txt'))).toBe(false);
    expect(read(shadow.dir, 'staged.txt')).toBe('staged\n');
    expect(read(shadow.dir, 'notes/new.md')).toBe('untracked\n');
    expect(fs.existsSync(path.join(shadow.dir, 'dist'))).toBe(false);
    expect(fs.lstatSync(path.join(shadow.dir, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(fs.statSync(path.join(shadow.dir, 'run.sh')).mode & 0o111).not.toBe(0);
    // an edit in the shadow leaves the real workspace alone
    fs.writeFileSync(path.join(shadow.dir, 'a.txt'), 'shadow edit\n');
    expect(read(ws, 'a.txt')).toBe('changed, not committed\n');
  } finally {
    shadow.dispose();
  }
  expect(fs.existsSync(shadow.dir)).toBe(false);
  expect(execFileSync('git', ['-C', ws, 'worktree', 'list'], { encoding: 'utf8' }).trim().split('\n')).toHaveLength(1);
  expect(execFileSync('git', ['-C', ws, 'status', '--porcelain'], { encoding: 'utf8' })).toBe(' M a.txt\n D gone.txt\nA  staged.txt\n?? notes/\n'); // the real workspace's state is untouched
});

test('a plain folder: a gitignore-aware copy', () => {
  const ws = tmpDir('aiml-shadow-ws-');
  writeAt(ws, '.gitignore', 'out/\n');
  writeAt(ws, 'src/m.py', 'x = 1\n');
  writeAt(ws, 'out/big.bin', 'ignored\n');
  const shadow = createShadow(ws);
  try {
    expect(shadow.kind).toBe('copy');
    expect(read(shadow.dir, 'src/m.py')).toBe('x = 1\n');
    expect(fs.existsSync(path.join(shadow.dir, 'out'))).toBe(false);
  } finally {
    shadow.dispose();
  }
  expect(fs.existsSync(shadow.dir)).toBe(false);
  expect(() => createShadow(path.join(ws, 'missing'))).toThrow(/does not exist/);
});
