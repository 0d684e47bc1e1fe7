import fs from 'node:fs';
import path from 'node:path';
import { draftReply } from './support/fixtures';
import { startScriptedLlm, type ScriptedLlm } from './support/scripted-llm';
import { startWorker, tmpDir, type TestWorker } from './support/env';
import { aimlEnv, runCli } from './support/processes';

/** The CLI contract scripts depend on: commands, --json shapes, exit codes, one-line errors. */

let llm: ScriptedLlm;
let worker: TestWorker;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  llm = await startScriptedLlm();
  worker = await startWorker({ llmUrl: llm.url });
  env = aimlEnv({ AIML_TASK_QUEUE: worker.taskQueue, AIML_USER: 'cli-tester', AIML_HOME: tmpDir('aiml-home-') });
});
afterAll(async () => {
  await worker?.stop();
  await llm?.close();
});

const oneLine = (s: string): void => expect(s.trim().split('\n')).toHaveLength(1);

test('design → status → reject → watch → approve → status, all through the CLI', async () => {
  const workspace = tmpDir();
  llm.enqueue(draftReply('cli-1'), draftReply('cli-2'));
  const started = await runCli(['design', 'A docs chatbot', '--workspace', workspace, '--wait', '--json'], env);
  expect(started.code).toBe(0);
  const first = JSON.parse(started.stdout);
  const id: string = first.workflowId;
  expect(first).toMatchObject({ phase: 'design', status: 'awaiting_approval', pendingGate: 'design/spec', artifacts: [] });
  expect(first.usage.promptTokens).toBeGreaterThan(0);
  expect(first.usage.completionTokens).toBeGreaterThan(0);

  const wrongGate = await runCli(['approve', id, '--gate', 'build/plan'], env);
  expect(wrongGate.code).toBe(1);
  oneLine(wrongGate.stderr);
  expect(wrongGate.stderr).toMatch(/unknown gate "build\/plan"; the pending gate is "design\/spec"/);

  const noFeedback = await runCli(['reject', id], env);
  expect(noFeedback.code).toBe(2);
  expect(noFeedback.stderr).toMatch(/--feedback/);

  const rejected = await runCli(['reject', id, '--feedback', 'Prefer open-source models', '--json'], env);
  expect(rejected.code).toBe(0);
  expect(JSON.parse(rejected.stdout).decision).toMatchObject({ decision: 'reject', by: 'cli-tester', feedback: 'Prefer open-source models' });

  const watched = await runCli(['watch', id, '--json'], env);
  expect(watched.code).toBe(0);
  expect(JSON.parse(watched.stdout)).toMatchObject({ status: 'awaiting_approval', pendingGate: 'design/spec' });
  expect(llm.requests.at(-1)!.messages[1]!.content).toContain('Prefer open-source models');

  const approved = await runCli(['approve', id, '--comment', 'looks right'], env);
  expect(approved.code).toBe(0);
  expect(approved.stdout).toMatch(/Approved design\/spec \(round 2\)/);

  let status: Record<string, unknown> = {};
  for (let i = 0; i < 50 && status.status !== 'completed'; i++) {
    status = JSON.parse((await runCli(['status', id, '--json'], env)).stdout);
    if (status.status !== 'completed') await new Promise((r) => setTimeout(r, 200));
  }
  expect(status).toMatchObject({ workflowId: id, phase: 'design', status: 'completed', pendingGate: null, artifacts: [path.join(workspace, 'SPECS.md')] });
  expect(fs.existsSync(path.join(workspace, 'SPECS.md'))).toBe(true);

  const again = await runCli(['approve', id], env);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/already ended \(completed\)/);

  const listed = await runCli(['runs', '--status', 'completed', '--json'], env);
  expect(listed.code).toBe(0);
  // Visibility is eventually consistent; the run shows up within a moment.
  let ids = (JSON.parse(listed.stdout) as { workflowId: string }[]).map((r) => r.workflowId);
  for (let i = 0; i < 20 && !ids.includes(id); i++) {
    await new Promise((r) => setTimeout(r, 250));
    ids = (JSON.parse((await runCli(['runs', '--status', 'completed', '--json'], env)).stdout) as { workflowId: string }[]).map((r) => r.workflowId);
  }
  expect(ids).toContain(id);
});

test('cancel stops a waiting run; a second cancel is refused', async () => {
  llm.enqueue(draftReply('cancel-me'));
  const { workflowId } = JSON.parse((await runCli(['design', 'To be cancelled', '--workspace', tmpDir(), '--json'], env)).stdout);
  await runCli(['watch', workflowId], env);
  const cancelled = await runCli(['cancel', workflowId, '--json'], env);
  expect(cancelled.code).toBe(0);
  expect(JSON.parse(cancelled.stdout)).toEqual({ workflowId, cancelRequested: true });
  const final = await runCli(['watch', workflowId, '--json'], env);
  expect(final.code).toBe(1);
  expect(JSON.parse(final.stdout).status).toBe('cancelled');
  const twice = await runCli(['cancel', workflowId], env);
  expect(twice.code).toBe(1);
  expect(twice.stderr).toMatch(/already ended \(cancelled\)/);
});

test('bad input: unknown id, wrong flag, bad status, missing workspace, unreachable server', async () => {
  const unknown = await runCli(['status', 'design-does-not-exist', '--json'], env);
  expect(unknown.code).toBe(1);
  oneLine(unknown.stderr);
  expect(unknown.stderr).toMatch(/No run with id "design-does-not-exist"/);

  const badFlag = await runCli(['status', 'x', '--jsn'], env);
  expect(badFlag.code).toBe(2);
  expect(badFlag.stderr).toMatch(/unknown option '--jsn'/);

  const badStatus = await runCli(['runs', '--status', 'done'], env);
  expect(badStatus.code).toBe(2);
  expect(badStatus.stderr).toMatch(/--status must be one of running, awaiting_approval, completed, failed, cancelled/);

  const noDir = await runCli(['design', 'x', '--workspace', '/nonexistent/dir'], env);
  expect(noDir.code).toBe(2);
  expect(noDir.stderr).toMatch(/--workspace \/nonexistent\/dir does not exist/);

  // A spec named relative to the workspace, run from elsewhere: the error points at the file meant.
  const ws = tmpDir('aiml-cli-spec-ws-');
  fs.writeFileSync(path.join(ws, 'SPECS.md'), '# Spec\n');
  const specElsewhere = await runCli(['build', '--workspace', ws, '--spec', 'SPECS.md'], env);
  expect(specElsewhere.code).toBe(2);
  expect(specElsewhere.stderr).toContain(`--spec ${path.resolve('SPECS.md')} does not exist; paths are relative to the current directory: did you mean --spec ${path.join(ws, 'SPECS.md')}?`);
  const specNowhere = await runCli(['build', '--workspace', ws, '--spec', 'NOPE.md'], env);
  expect(specNowhere.code).toBe(2);
  expect(specNowhere.stderr).not.toContain('did you mean');

  const down = await runCli(['status', 'anything'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(down.code).toBe(1);
  oneLine(down.stderr);
  expect(down.stderr).toMatch(/Cannot reach Temporal at 127\.0\.0\.1:1/);

  const badAddress = await runCli(['status', 'anything'], { ...env, TEMPORAL_ADDRESS: 'no-port-here' });
  expect(badAddress.code).toBe(2);
  expect(badAddress.stderr).toMatch(/Invalid TEMPORAL_ADDRESS: expected host:port/);
});

test('the main job with no LLM endpoint says once that it uses the offline model; a bad model path stops it before anything starts', async () => {
  const home = tmpDir('aiml-home-');
  const bare = aimlEnv({ AIML_HOME: home, TEMPORAL_ADDRESS: '127.0.0.1:1', AIML_LOCAL_MODEL: path.join(home, 'missing.gguf') });
  const r = await runCli(['run', 'Design something'], bare);
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^No LLM endpoint configured .*offline default model, SmolLM2-135M-Instruct, a tiny model .*Expect .* set OPENAI_API_KEY/);
  expect(lines[1]).toBe(`aiml: AIML_LOCAL_MODEL points at ${path.join(home, 'missing.gguf')}, which does not exist`);
  expect(fs.readdirSync(home)).toEqual([]); // no server, no database, no tools installed
});

test('a decision on a run that is not at a gate is refused', async () => {
  // A task queue with no worker: the run exists but never reaches a gate.
  const lonely = { ...env, AIML_TASK_QUEUE: 'no-worker-here' };
  const { workflowId } = JSON.parse((await runCli(['design', 'Nobody works on this', '--workspace', tmpDir(), '--json'], lonely)).stdout);
  const r = await runCli(['approve', workflowId], lonely);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/is not waiting for a decision/);
  await runCli(['cancel', workflowId], lonely);
});
