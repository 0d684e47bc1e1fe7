import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BUILD_PLAN_GATE, decideUpdate } from '../../src/contracts';
import { describeRun } from '../../src/client/run-view';
import { Journal } from '../../src/workspace/journal';
import { fixtureRepo, planReply, stepReply, whisperEdits } from '../build/fixtures';
import { awaitingGate, startBuild, useRig } from '../build/helpers';
import { waitFor } from '../support/env';

/**
 * A BUILD run whose workspace turns read-only while it waits at the plan gate: the step's apply
 * fails with a clear cause that `aiml status` shows, the workspace is byte for byte as it was and
 * the undo journal holds no entry. The workspace is made read-only with a read-only bind mount
 * (root) or, without the right to mount, a chmod'd folder (non-root, where chmod is enforced).
 */

const rig = useRig();
let unmount: (() => void) | undefined;
afterAll(() => unmount?.());

function makeReadOnly(dir: string): void {
  try {
    execFileSync('mount', ['--bind', dir, dir], { stdio: 'ignore' });
    unmount = () => execFileSync('umount', [dir]);
    execFileSync('mount', ['-o', 'remount,bind,ro', dir], { stdio: 'ignore' });
    return;
  } catch (err) {
    if (process.getuid?.() === 0) throw new Error(`cannot make a read-only bind mount as root: ${String(err)}`);
  }
  for (const d of ['', 'src']) fs.chmodSync(path.join(dir, d), 0o555);
}

const contents = (root: string): Record<string, string> =>
  Object.fromEntries(
    ['package.json', 'README.md', 'src/text.js', 'test.js', 'SPECS.md'].map((rel) => [rel, fs.readFileSync(path.join(root, rel), 'utf8')]),
  );

test('a read-only workspace during a BUILD apply: the run fails naming the cause, nothing changed, journal empty', async () => {
  const ws = fixtureRepo();
  rig.llm.enqueue(planReply([{ title: 'Add whisper', files: [{ path: 'src/text.js' }, { path: 'test.js' }] }]), stepReply(whisperEdits()));
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'plan' });
  await awaitingGate(handle, BUILD_PLAN_GATE);
  const before = contents(ws);
  makeReadOnly(ws);
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'ana' }] });

  const view = await waitFor(async () => {
    const v = await describeRun(rig.client, handle.workflowId);
    return v.status === 'failed' || v.status === 'completed' || v.status === 'awaiting_approval' ? v : undefined;
  }, 'the build to stop', 90_000);
  expect(view.status).toBe('failed');
  expect(view.error).toMatch(/applyStep failed: Could not write src\/text\.js in .* \((EROFS|EACCES)/);
  expect(view.error).toContain('the step was rolled back, the workspace is as it was');
  expect(contents(ws)).toEqual(before);
  expect(fs.readdirSync(path.join(ws, 'src'))).toEqual(['text.js']); // no temp files left
  expect(new Journal(rig.worker.stateDir, handle.workflowId).read().entries).toEqual([]);
});
