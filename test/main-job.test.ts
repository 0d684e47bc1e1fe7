import fs from 'node:fs';
import path from 'node:path';
import { draftReply } from './support/fixtures';
import { startScriptedLlm, type ScriptedLlm } from './support/scripted-llm';
import { testClient, tmpDir, uniqueId, waitFor } from './support/env';
import { aimlEnv, spawnCli } from './support/processes';
import { cli as runCli } from './trust-cli/cli';

/** The README's main job (`aiml run`) with no terminal: it runs its own worker, waits at the gate, finishes after approval; a budget given to it reaches the run. */

let llm: ScriptedLlm;
beforeAll(async () => {
  llm = await startScriptedLlm();
});
afterAll(async () => {
  await llm?.close();
});

test('aiml run drafts, waits for a decision made from another shell, writes SPECS.md and prints the final state', async () => {
  llm.enqueue(draftReply('main-job'));
  const workspace = tmpDir();
  const home = tmpDir('aiml-home-');
  // INFO, so the worker surely logs: every line must land in the log file, none on the terminal.
  const env = aimlEnv({ AIML_TASK_QUEUE: uniqueId('main'), OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'sk-test', AIML_HOME: home, AIML_LOG_LEVEL: 'INFO' });
  const cli = spawnCli(['run', 'A helpdesk copilot', '--workspace', workspace, '--budget-tokens', '500000', '--json'], env);

  const { client, close } = await testClient();
  try {
    const workflowId = await waitFor(async () => /No terminal to ask on/.test(cli.stderr()) ? /(design-[a-z0-9]+)/.exec(cli.stderr())?.[1] : undefined, 'the gate', 90_000); // the last line printed at the gate
    expect(cli.stderr()).toContain('Support assistant architecture main-job'); // the digest is shown at the gate
    expect(cli.stderr()).toContain(`aiml approve ${workflowId} --gate design/spec`);
    expect(cli.stderr()).toContain(`budget: 500000 tokens. When it is reached the run waits at the budget gate: aiml approve ${workflowId} --top-up <usd>`);
    const runId = (await client.workflow.getHandle(workflowId).describe()).runId;
    expect(cli.stderr()).toContain(`/namespaces/default/workflows/${workflowId}/${runId}/history`); // a UI link that opens the run
    // From another shell, as the run says to: the approval ends the run, and `aiml run` stops its worker.
    const approved = await runCli(['approve', workflowId, '--by', 'elsewhere'], env);
    expect(approved).toMatchObject({ code: 0, stderr: '' });
    expect(approved.stdout.trim()).toBe(`applied: Approved design/spec (round 1) of ${workflowId} as elsewhere`);
    expect(await cli.exited).toBe(0);
    const final = JSON.parse(cli.stdout());
    expect(final).toMatchObject({ workflowId, status: 'completed', artifacts: [path.join(workspace, 'SPECS.md')], budget: { tokens: 500000 } }); // the run got the budget
    expect(fs.readFileSync(path.join(workspace, 'SPECS.md'), 'utf8')).toContain('AI/ML ARCHITECTURE DESIGN:');
    const logs = fs.readdirSync(path.join(home, 'logs')).map((f) => path.join(home, 'logs', f));
    expect(logs).toHaveLength(1);
    expect(cli.stderr()).toContain(`Starting a worker (its logs: ${logs[0]})`);
    expect(fs.readFileSync(logs[0]!, 'utf8')).toMatch(/\[INFO\] Worker state changed/);
    expect(cli.stderr()).not.toMatch(/\[(INFO|WARN|ERROR)\]/);
  } finally {
    cli.child.kill('SIGKILL');
    await close();
  }
});
