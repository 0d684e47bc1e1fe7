import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { AimlClient } from '../../src/client/aiml-client';
import { routingFor, type BuildResult, type DesignResult } from '../../src/contracts';
import { fixtureRepo, planReply } from '../build/fixtures';
import { finish, turn, writeFile } from '../agent/helpers';
import { draftReply } from '../support/fixtures';
import { temporalAddress, testClient, tmpDir, waitFor } from '../support/env';
import { runCli } from '../support/processes';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { activityRuns, hostOf, startTwoWorkers, workflowTaskIdentities, type HostWorker, type TwoWorkers } from '../support/two-workers';

/**
 * Two hosts, one dev server: `host-a` holds the workspaces, `host-b` is another machine. Both poll
 * the shared queue; only host-a polls `<queue>-host-host-a`. Blobs go through a real S3-compatible
 * server. Each test kills whichever worker runs a model call mid-call: the call finishes on the
 * other one; when that was the owner, the run's host work waits until it is back.
 */
jest.setTimeout(300_000);

const HOST_HISTORIES = path.join(__dirname, '..', 'histories', 'hosts');

let llm: ScriptedLlm;
let two: TwoWorkers;
let client: Client;
let closeClient: () => Promise<void>;
let a: HostWorker;
let b: HostWorker;

beforeAll(async () => {
  llm = await startScriptedLlm();
  two = await startTwoWorkers({ temporalAddress: temporalAddress(), llmUrl: llm.url });
  [a, b] = two.hosts;
  ({ client, close: closeClient } = await testClient());
});

afterAll(async () => {
  await two?.close();
  await closeClient?.();
  await llm?.close();
});

/** Runs started for host-a, as `aiml` on host-a starts them. */
const aimlOnA = (): AimlClient => new AimlClient(client, { namespace: 'default', taskQueue: two.taskQueue, routing: routingFor(two.taskQueue, 'host-a') });
const byHost = (h: string): HostWorker => (h === a.host ? a : b);

/** The worker running `activityType` of this run now (a started attempt), by host. */
async function runningOn(handle: WorkflowHandle, activityType: string): Promise<string> {
  return waitFor(async () => {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') throw new Error(`${handle.workflowId} ended (${d.status.name}) before ${activityType} started`);
    const pending = d.raw.pendingActivities ?? [];
    const p = pending.find((x) => x.activityType?.name === activityType && x.lastWorkerIdentity);
    return p ? hostOf(p.lastWorkerIdentity!) : undefined;
  }, `${activityType} to start`, 120_000);
}

/** Kills the host running the in-flight `activityType`; waits until the other host completed it. Returns both. */
async function killMidCall(handle: WorkflowHandle, activityType: string, count: number): Promise<{ killed: string; finishedBy: string }> {
  const killed = await runningOn(handle, activityType);
  await byHost(killed).kill();
  // The server notices at the heartbeat timeout (30 s) and retries on the worker that is left.
  const done = await waitFor(async () => {
    const runs = (await activityRuns(client, handle.workflowId)).filter((r) => r.activityType === activityType && r.completed);
    return runs.length >= count ? runs[count - 1] : undefined;
  }, `${activityType} to complete elsewhere`, 120_000);
  return { killed, finishedBy: hostOf(done.identity)! };
}

/** With AIML_RECORD_HISTORIES=hosts (or 1), keeps this run's history for test/hosts/hosts.replay.test.ts. */
function recordHistory(workflowId: string, file: string): void {
  if (!['1', 'hosts'].includes(process.env.AIML_RECORD_HISTORIES ?? '')) return;
  const json = execFileSync(process.env.AIML_TEST_TEMPORAL_BIN!, ['workflow', 'show', '-w', workflowId, '--address', temporalAddress(), '-o', 'json'], { encoding: 'utf8' });
  fs.mkdirSync(HOST_HISTORIES, { recursive: true });
  fs.writeFileSync(path.join(HOST_HISTORIES, file), json);
}

/** The owner is down: the run waits, and `aiml status` on host-b says why. */
async function expectParkedForOwner(workflowId: string): Promise<void> {
  const status = await runCli(['status', workflowId], b.env);
  expect(status.stdout).toContain('host:    host-a');
  expect(status.stdout).toContain('the worker for host "host-a" is not running');
}

test('design: context on the owner, the draft on the shared queue; a worker killed mid-draft hands it over; host work waits for its owner', async () => {
  const ws = fixtureRepo();
  llm.enqueue({ ...draftReply('first', 5000) }, draftReply('v1')); // the first answer goes to the worker that is killed
  const workflowId = `design-hosts-${Date.now().toString(36)}`;
  const handle = await aimlOnA().start('design', workflowId, { brief: 'A support assistant over our docs', workspace: ws, force: true });

  const { killed, finishedBy } = await killMidCall(handle, 'draftArchitecture', 1);
  expect(finishedBy).not.toBe(killed);
  if (killed === 'host-a') {
    // Shared work moved to host-b; the next workflow task belongs to host-a, which is down.
    await expectParkedForOwner(workflowId);
    expect((await handle.describe()).status.name).toBe('RUNNING');
  }
  await byHost(killed).start();
  await waitFor(async () => ((await aimlOnA().describe(workflowId)).pendingGate ? true : undefined), 'the design gate', 60_000);

  // Decided from host-b: the decision reaches the run; host-a's worker writes SPECS.md into its workspace.
  const approve = await runCli(['approve', workflowId, '--by', 'bea'], b.env);
  expect(approve.code).toBe(0);
  const result = (await handle.result()) as DesignResult;
  expect(result.specPath).toBe(path.join(ws, 'SPECS.md'));
  expect(fs.readFileSync(result.specPath!, 'utf8')).toContain('AI/ML ARCHITECTURE DESIGN');

  const runs = await activityRuns(client, workflowId);
  const gather = runs.find((r) => r.activityType === 'gatherDesignContext')!;
  expect(gather).toMatchObject({ taskQueue: a.hostQueue, completed: true });
  expect(hostOf(gather.identity)).toBe('host-a');
  const draft = runs.find((r) => r.activityType === 'draftArchitecture')!;
  expect(draft.taskQueue).toBe(two.taskQueue);
  // Every workflow task (and so every local activity: the spec write) ran on the owner.
  expect([...new Set((await workflowTaskIdentities(client, workflowId)).map(hostOf))]).toEqual(['host-a']);
  // Both hosts did this run's work: host-a the workspace, host-b at least the draft's first attempt.
  expect(new Set([hostOf(gather.identity), killed, finishedBy])).toEqual(new Set(['host-a', 'host-b']));
  // The UI shows what the run is from the start.
  const desc = await handle.describe();
  expect(await desc.staticSummary()).toBe('design: A support assistant over our docs');
  expect(await desc.staticDetails()).toContain(`**Workspace:** \`${ws}\``);
  expect(await desc.staticDetails()).toContain('**Host:** `host-a`');
  recordHistory(workflowId, 'design-routed.json');
});

test('build: plan and edits on the owner, agent turns on the shared queue; diff and revert from the other host', async () => {
  for (const h of [a, b]) if (!h.running()) await h.start();
  const ws = fixtureRepo();
  llm.enqueue(
    planReply([{ title: 'Whisper', files: [{ path: 'src/whisper.js', action: 'create' }] }]),
    { ...turn(writeFile('src/whisper.js', 'module.exports = (s) => s.toLowerCase();\n')), delayMs: 5000 }, // killed mid-call
    turn(writeFile('src/whisper.js', 'module.exports = (s) => s.toLowerCase();\n')),
    turn(finish('Added whisper.')),
  );
  const workflowId = `build-hosts-${Date.now().toString(36)}`;
  const handle = await aimlOnA().start('build', workflowId, { specPath: 'SPECS.md', workspace: ws, approval: 'none', checkCommand: 'node test.js' });

  const { killed, finishedBy } = await killMidCall(handle, 'agentTurn', 1);
  expect(finishedBy).not.toBe(killed);
  if (killed === 'host-a') await expectParkedForOwner(workflowId);
  await byHost(killed).start();
  const result = (await handle.result()) as BuildResult;
  expect(result.filesChanged).toContain('src/whisper.js');
  expect(fs.readFileSync(path.join(ws, 'src/whisper.js'), 'utf8')).toContain('toLowerCase');

  const runs = await activityRuns(client, workflowId);
  for (const type of ['prepareBuild', 'planBuild', 'writeBuildReport']) {
    const r = runs.find((x) => x.activityType === type)!;
    expect([type, r.taskQueue, hostOf(r.identity)]).toEqual([type, a.hostQueue, 'host-a']);
  }
  const turns = runs.filter((r) => r.activityType === 'agentTurn');
  expect(turns.length).toBeGreaterThanOrEqual(2);
  for (const t of turns) expect(t.taskQueue).toBe(two.taskQueue);
  expect([...new Set((await workflowTaskIdentities(client, workflowId)).map(hostOf))]).toEqual(['host-a']);

  // From host-b, whose disk has neither the workspace nor the journal.
  const diff = await runCli(['diff', workflowId, '--json'], b.env);
  expect(diff.code).toBe(0);
  expect(JSON.parse(diff.stdout)).toMatchObject({ source: 'state', steps: [{ n: 1, kind: 'applied', diff: expect.stringContaining('+module.exports = (s) => s.toLowerCase();') }] });
  // A host that does not share the blob store is told where the diffs are and how to see them.
  const unshared = await runCli(['diff', workflowId], { ...b.env, AIML_BLOB_STORE: 'local', AIML_HOME: tmpDir('aiml-unshared-') });
  expect(unshared.code).toBe(1);
  expect(unshared.stderr).toMatch(/The diffs of build-hosts-\S+ are in the blob store of host "host-a", which this machine does not share: run aiml diff on that host .*AIML_BLOB_STORE=s3/);
  const revert = await runCli(['revert', workflowId], b.env);
  expect(revert.stderr).toBe('');
  expect(revert.stdout).toContain('on host host-a');
  expect(fs.existsSync(path.join(ws, 'src/whisper.js'))).toBe(false);
  recordHistory(workflowId, 'build-routed.json');
  for await (const r of client.workflow.list({ query: `WorkflowType = 'revert'` })) if (r.workflowId.startsWith(`${workflowId}-revert-`)) recordHistory(r.workflowId, 'revert.json');

  // With the owner down, both say so instead of waiting.
  await a.kill();
  const down = await runCli(['diff', workflowId], b.env);
  expect(down.code).toBe(1);
  expect(down.stderr).toContain('the worker for host "host-a" is not running');
  const revertDown = await runCli(['revert', workflowId], b.env);
  expect(revertDown.stderr).toContain('the worker for host "host-a" is not running');
});
