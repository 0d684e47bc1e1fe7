import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AimlError } from '../errors';
import { listWorkspace } from './lister';

/**
 * A throwaway copy of a workspace for `--verify shadow`: a step's edits are applied and its check
 * run there first. A git repository gets a detached `git worktree` of HEAD with the uncommitted
 * state carried over (tracked changes as a binary diff, untracked files that are not ignored
 * copied); anything else is copied file by file through the gitignore-aware lister. Dependency
 * folders the check needs (`node_modules`, `.venv`, `venv`) are linked, not copied.
 */

export interface Shadow {
  dir: string;
  kind: 'git-worktree' | 'copy';
  dispose(): void;
}

const LINKED_DEPS = ['node_modules', '.venv', 'venv'];

function git(cwd: string, args: string[], input?: Buffer): { ok: boolean; stdout: Buffer; stderr: string } {
  const r = spawnSync('git', ['-C', cwd, ...args], { input, maxBuffer: 512 << 20, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  return { ok: r.status === 0, stdout: r.stdout ?? Buffer.alloc(0), stderr: String(r.stderr ?? '') };
}

function copyFile(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
  fs.chmodSync(to, fs.statSync(from).mode & 0o777);
}

function isGitRepo(workspace: string): boolean {
  const top = git(workspace, ['rev-parse', '--show-toplevel']);
  if (!top.ok) return false;
  // Only when the workspace is the repository's top (a subfolder is copied instead).
  return fs.realpathSync(top.stdout.toString().trim()) === fs.realpathSync(workspace) && git(workspace, ['rev-parse', '--verify', 'HEAD']).ok;
}

export function createShadow(workspace: string, opts: { parent?: string } = {}): Shadow {
  if (!fs.existsSync(workspace) || !fs.statSync(workspace).isDirectory()) throw new AimlError('DIR_MISSING', `Workspace ${workspace} does not exist`);
  const dir = fs.mkdtempSync(path.join(opts.parent ?? os.tmpdir(), 'aiml-shadow-'));
  let shadow: Shadow;
  try {
    shadow = isGitRepo(workspace) ? worktreeShadow(workspace, dir) : copyShadow(workspace, dir);
    for (const dep of LINKED_DEPS) {
      const src = path.join(workspace, dep);
      if (fs.existsSync(src) && !fs.existsSync(path.join(dir, dep))) fs.symlinkSync(src, path.join(dir, dep), 'dir');
    }
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    git(workspace, ['worktree', 'prune']);
    throw err;
  }
  return shadow;
}

function worktreeShadow(workspace: string, dir: string): Shadow {
  const add = git(workspace, ['worktree', 'add', '--detach', '--quiet', dir, 'HEAD']);
  if (!add.ok) throw new AimlError('SHADOW_FAILED', `git worktree add failed: ${add.stderr.trim()}`);
  const diff = git(workspace, ['diff', 'HEAD', '--binary']);
  if (!diff.ok) throw new AimlError('SHADOW_FAILED', `git diff failed: ${diff.stderr.trim()}`);
  if (diff.stdout.length) {
    const apply = git(dir, ['apply', '--binary', '--whitespace=nowarn', '-'], diff.stdout);
    if (!apply.ok) throw new AimlError('SHADOW_FAILED', `carrying the uncommitted changes over failed: ${apply.stderr.trim()}`);
  }
  const untracked = git(workspace, ['ls-files', '--others', '--exclude-standard', '-z']);
  for (const rel of untracked.stdout.toString().split('\0').filter(Boolean)) {
    const from = path.join(workspace, rel);
    if (fs.lstatSync(from).isFile()) copyFile(from, path.join(dir, rel));
  }
  return {
    dir,
    kind: 'git-worktree',
    dispose() {
      git(workspace, ['worktree', 'remove', '--force', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
      git(workspace, ['worktree', 'prune']);
    },
  };
}

function copyShadow(workspace: string, dir: string): Shadow {
  for (const rel of listWorkspace(workspace).files) copyFile(path.join(workspace, rel), path.join(dir, rel));
  return { dir, kind: 'copy', dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
