import fs from 'node:fs';
import path from 'node:path';
import { draftReply } from '../support/fixtures';
import { tmpDir, uniqueId } from '../support/env';
import { aimlEnv, runCli } from '../support/processes';
import { stateQuery, type RunState } from '../../src/contracts';
import { agentReplies, fixtureRepo, gitChanged, planReply, whisperEdits } from './fixtures';
import { useRig, waitFor } from './helpers';

const home = tmpDir('aiml-home-');
const rig = useRig({ stateDir: home });

test('aiml build → approve → diff (pending, then applied) → revert refuses a user edit, --force restores', async () => {
  const env = aimlEnv({ AIML_TASK_QUEUE: rig.worker.taskQueue, AIML_HOME: home, AIML_USER: 'cli-user' });
  const ws = fixtureRepo();
  const original = fs.readFileSync(path.join(ws, 'src/text.js'));
  rig.llm.enqueue(planReply([{ title: 'Add whisper', files: [{ path: 'src/text.js' }, { path: 'test.js' }] }]), ...agentReplies(whisperEdits()));

  const usage = await runCli(['build', '--workspace', ws, '--approve', 'sometimes'], env);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/Give exactly one of --spec PATH or --from <designRunId>/);

  const started = await runCli(['build', '--spec', path.join(ws, 'SPECS.md'), '--workspace', ws, '--check', 'node test.js', '--json'], env);
  expect(started.stderr).toBe('');
  const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
  expect(workflowId).toMatch(/^build-/);
  const handle = rig.client.workflow.getHandle(workflowId);
  const gate = (g: string) => waitFor(async () => ((await handle.query(stateQuery)) as RunState).pendingGate === g || undefined, g);

  await gate('build/plan');
  expect((await runCli(['approve', workflowId], env)).code).toBe(0);
  const round = (n: number) => waitFor(async () => ((await handle.query(stateQuery)) as RunState).gates.find((g) => g.status === 'pending' && g.round === n) ?? undefined, `build/step-1 round ${n}`);
  await gate('build/step-1');
  const pending = await runCli(['diff', workflowId, '--step', '1'], env);
  expect(pending.stdout).toContain('# step 1: Add whisper (pending approval)');
  expect(pending.stdout).toContain('+function whisper(s) {');
  expect(fs.readFileSync(path.join(ws, 'src/text.js')).equals(original)).toBe(true); // not applied before approval
  const beyond = await runCli(['diff', workflowId, '--step', '3'], env);
  expect([beyond.code, beyond.stderr.trim()]).toEqual([2, `aiml: ${workflowId} has 1 step: there is no step 3`]);

  // Each edit of the agent's step waits with its diff (--approve each): src/text.js, then test.js.
  expect((await runCli(['approve', workflowId, '--gate', 'build/step-1'], env)).code).toBe(0);
  await round(2);
  expect((await runCli(['diff', workflowId, '--step', '1'], env)).stdout).toContain("+assert.strictEqual(require('./src/text').whisper('HI'), 'hi');");
  expect((await runCli(['approve', workflowId, '--gate', 'build/step-1'], env)).code).toBe(0);
  await handle.result();
  const applied = JSON.parse((await runCli(['diff', workflowId, '--json'], env)).stdout) as { steps: { kind: string; diff: string }[] };
  expect(applied.steps.map((s) => s.kind)).toEqual(['applied']);
  expect(applied.steps[0]!.diff).toContain('diff --git a/test.js b/test.js');

  fs.appendFileSync(path.join(ws, 'test.js'), '// mine\n');
  const refused = await runCli(['revert', workflowId], env);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/Refusing to revert: changed since aiml applied it: test\.js \(use --force/);
  // A CLI with this host's id but not its state (beside a container's worker): revert goes to the
  // host's worker, which has the journal; diff says where the texts are.
  const cliOnly = { ...env, AIML_HOME: tmpDir('aiml-cli-only-') };
  const besideWorker = await runCli(['revert', workflowId], cliOnly);
  expect(besideWorker.code).toBe(1);
  expect(besideWorker.stderr).toMatch(/revert on host \S+: Refusing to revert: changed since aiml applied it: test\.js/);
  const diffBeside = await runCli(['diff', workflowId], cliOnly);
  expect(diffBeside.code).toBe(1);
  expect(diffBeside.stderr).toMatch(/The diffs of build-\S+ are in the blob store of host "\S+", which this machine does not share/);
  const forced = await runCli(['revert', workflowId, '--force', '--json'], env);
  // One journal entry per agent edit, undone newest first: test.js (the second edit), then src/text.js.
  expect(JSON.parse(forced.stdout)).toMatchObject({ workflowId, steps: [1], restored: ['test.js', 'src/text.js'] });
  expect(fs.readFileSync(path.join(ws, 'src/text.js')).equals(original)).toBe(true);
  expect(gitChanged(ws)).toEqual(['BUILD_REPORT.md']);
});

test('aiml build --from <design run> builds from that run\'s spec in its workspace', async () => {
  const env = aimlEnv({ AIML_TASK_QUEUE: rig.worker.taskQueue, AIML_HOME: home });
  const ws = fixtureRepo();
  fs.rmSync(path.join(ws, 'SPECS.md')); // the design run writes the spec; aiml never replaces a hand-written one
  rig.llm.enqueue(draftReply('from'), planReply([{ title: 'Add whisper', files: [{ path: 'src/text.js' }, { path: 'test.js' }] }]), ...agentReplies(whisperEdits()));
  const design = await rig.client.workflow.start('design', {
    taskQueue: rig.worker.taskQueue,
    workflowId: uniqueId('design'),
    args: [{ brief: 'Add whisper()', workspace: ws, approval: { mode: 'auto' } }],
  });
  await design.result();
  const run = await runCli(['build', '--from', design.workflowId, '--approve', 'none', '--check', 'node test.js', '--wait', '--json'], env);
  expect(run.code).toBe(0);
  const view = JSON.parse(run.stdout) as { workflowId: string; status: string; artifacts: string[] };
  expect(view.status).toBe('completed');
  expect(view.artifacts).toContain(path.join(ws, 'src/text.js'));
  const planPrompt = rig.llm.requests.find((r) => r.response_format?.json_schema?.name === 'build_plan' && r.messages.some((m) => m.content?.includes('Support assistant architecture from')));
  expect(planPrompt).toBeDefined(); // the design run's SPECS.md was the spec

  // With no worker running, aiml diff reads what was applied from the local journal.
  const withWorker = JSON.parse((await runCli(['diff', view.workflowId, '--json'], env)).stdout) as { source: string; steps: { diff: string }[] };
  await rig.stopWorker();
  const noWorker = JSON.parse((await runCli(['diff', view.workflowId, '--json'], env)).stdout) as typeof withWorker;
  expect([withWorker.source, noWorker.source]).toEqual(['state', 'journal']);
  expect(noWorker.steps.map((x) => x.diff)).toEqual(withWorker.steps.map((x) => x.diff));
  expect(noWorker.steps[0]!.diff).toContain('+function whisper(s) {');
});
