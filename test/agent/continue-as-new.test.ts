import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { BUILD_PLAN_GATE, commandGate, decideUpdate, rejectSignal, stateQuery, type BuildInput, type BuildResult, type ToolCallView } from '../../src/contracts';
import { Journal } from '../../src/workspace/journal';
import { replayOptions, temporalAddress, uniqueId } from '../support/env';
import { fixtureRepo, gitChanged, planReply } from '../build/fixtures';
import { awaitingGate, useRig, waitFor } from '../build/helpers';
import { addMarkerScript, editFile, finish, grep, marks, readFile, runCommand, startAgentBuild, toolResults, turn } from './helpers';

const rig = useRig();

type History = temporal.api.history.v1.IHistory;
const HISTORY_FILE = path.join(__dirname, '..', 'histories', 'build', 'build-agent-continued.json');
const HISTORY_EVENTS = 50; // the smallest the input allows: the run continues as new every few turns

const EXPORTS = 'module.exports = { shout };';
const WHISPER = "function whisper(s) {\n  return s.toLowerCase();\n}\n\nmodule.exports = { shout, whisper };";
const TEST_LINE = "console.log('ok');";
const TEST_WHISPER = "assert.strictEqual(require('./src/text').whisper('HI'), 'hi');\nconsole.log('ok');";

/** Every run of a workflow id's continue-as-new chain, first to last, with its history. */
async function chain(handle: WorkflowHandle, firstRunId: string): Promise<{ runId: string; history: History }[]> {
  const runs: { runId: string; history: History }[] = [];
  for (let runId: string | undefined = firstRunId; runId; ) {
    const history = await rig.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    runs.push({ runId, history });
    runId = history.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

/**
 * Two steps of tool calls with a gated command approved for its pattern, run with a tiny history
 * limit: the run continues as new several times in the middle of steps and between them.
 */
async function longBuild(): Promise<{ handle: WorkflowHandle; firstRunId: string; ws: string; marker: string; before: number }> {
  const ws = fixtureRepo();
  const marker = addMarkerScript(ws);
  rig.llm.enqueue(
    planReply([
      { title: 'Add whisper', files: [{ path: 'src/text.js' }, { path: 'test.js' }] },
      { title: 'Check it again', files: [{ path: 'src/text.js' }] },
    ]),
    turn(grep('function shout')),
    turn(readFile('src/text.js')),
    turn(runCommand('node mark.js a')),
    turn(editFile('src/text.js', EXPORTS, WHISPER), editFile('test.js', TEST_LINE, TEST_WHISPER)),
    turn(runCommand('node mark.js b')),
    turn(finish('Added whisper().')),
    turn(readFile('src/text.js')),
    turn(runCommand('node mark.js c')),
    turn(finish('Checked.')),
  );
  const before = rig.llm.requests.length;
  const handle = await startAgentBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'plan', checkCommand: 'node test.js', limits: { historyEvents: HISTORY_EVENTS } });
  const firstRunId = (handle as WorkflowHandle & { firstExecutionRunId: string }).firstExecutionRunId;
  await awaitingGate(handle, BUILD_PLAN_GATE);
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'ana' }] });
  await awaitingGate(handle, commandGate(1), 1);
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'ana', remember: 'pattern' }] });
  return { handle, firstRunId, ws, marker, before };
}

test('a long agentic build continues as new in the middle of its steps: state, gates, allow-list and conversation carry over, nothing runs twice', async () => {
  const { handle, firstRunId, ws, marker, before } = await longBuild();
  const result: BuildResult = await handle.result();
  const reqs = rig.llm.requests.slice(before);

  expect(result.steps.map((s) => s.status)).toEqual(['passed', 'passed']);
  expect(reqs).toHaveLength(10); // plan + 9 turns: no turn asked twice
  // Each command ran once; the later ones matched the pattern a person allowed before the run continued.
  expect(marks(marker)).toEqual(['a', 'b', 'c']);
  expect(result.decisions.map((d) => [d.gate, d.decision, d.remember ?? null])).toEqual([
    [BUILD_PLAN_GATE, 'approve', null],
    [commandGate(1), 'approve', 'pattern'],
  ]);
  // The conversation came along by reference: step 1's last turn still sees its first tool result.
  expect(toolResults(reqs[6]!)).toHaveLength(6);
  expect(toolResults(reqs[6]!)[0]).toMatch(/tool="grep"[\s\S]*src\/text\.js/);
  // Edits applied once each, in journal order; report and git agree.
  expect(new Journal(rig.worker.stateDir, handle.workflowId).read().entries.map((e) => e.key)).toEqual(['step-1/edit-1', 'step-1/edit-2']);
  expect(result.filesChanged).toEqual(['src/text.js', 'test.js']);
  expect(gitChanged(ws).filter((f) => f !== 'BUILD_REPORT.md')).toEqual(result.filesChanged);
  expect(fs.readFileSync(path.join(ws, 'BUILD_REPORT.md'), 'utf8')).toMatch(/Step 2 \(Check it again\): passed, check passed, no files written, 1 attempt\./);

  // Several runs, each with a short history; every one but the last continued as new.
  const runs = await chain(handle, firstRunId);
  expect(runs.length).toBeGreaterThanOrEqual(3);
  for (const r of runs.slice(0, -1)) expect(r.history.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  expect(runs.at(-1)!.history.events!.at(-1)!.workflowExecutionCompletedEventAttributes).toBeTruthy();
  for (const r of runs) expect(r.history.events!.length).toBeLessThan(HISTORY_EVENTS + 60); // the limit, plus one turn's worth
  // Each continued run was started with the carried state; at least one continued inside a step,
  // carrying the step's conversation by reference (never the conversation itself).
  const carried = runs.slice(1).map((r) => {
    const payload = r.history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    return (JSON.parse(Buffer.from(payload.data!).toString('utf8')) as BuildInput).resume!;
  });
  expect(carried.map((c) => c.generation)).toEqual(carried.map((_, i) => i + 1));
  const midStep = carried.filter((c) => c.loop);
  expect(midStep.length).toBeGreaterThanOrEqual(1);
  for (const c of midStep) expect(c.loop!.conversationRef).toMatch(/^sha256:[0-9a-f]{64}$/);
  // The spec and the conversation stay in the blob store (only the latest turn's short results travel inline, as in any turn's input).
  expect(JSON.stringify(carried)).not.toContain('word counter');
  expect(JSON.stringify(carried)).not.toContain('"role"');

  // The latest run's state shows all of it: the tool calls of both steps, both decisions.
  const s = await handle.query(stateQuery);
  expect((s.details.toolCalls as ToolCallView[]).map((c) => c.tool)).toEqual(['grep', 'read_file', 'run_command', 'edit_file', 'edit_file', 'run_command', 'finish_step', 'read_file', 'run_command', 'finish_step']);
  expect((s.details.policy as { allowCommands: string[] }).allowCommands).toEqual(['node test.js', 'node mark.js*']);
  expect(s.gates.map((g) => g.gate)).toEqual([BUILD_PLAN_GATE, commandGate(1)]);

  // Each run replays against the current code.
  for (const r of runs) await expect(Worker.runReplayHistory(replayOptions(), r.history, handle.workflowId)).resolves.toBeUndefined();

  if (process.env.AIML_RECORD_HISTORIES === '1' || process.env.AIML_RECORD_HISTORIES === 'continued') {
    const second = execFileSync(process.env.AIML_TEST_TEMPORAL_BIN!, ['workflow', 'show', '-w', handle.workflowId, '-r', runs[1]!.runId, '--address', temporalAddress(), '-o', 'json'], { encoding: 'utf8' });
    fs.writeFileSync(HISTORY_FILE, second);
  }
}, 240_000);

test('a recorded continued run (started by continue-as-new, mid-step) replays against the current code', async () => {
  const history = historyFromJSON(JSON.parse(fs.readFileSync(HISTORY_FILE, 'utf8')));
  const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
  expect(started.continuedExecutionRunId).toBeTruthy();
  const input = JSON.parse(Buffer.from(started.input!.payloads![0]!.data!).toString('utf8')) as BuildInput;
  expect(input.resume!.loop!.turn).toBeGreaterThan(0); // it starts in the middle of a step's loop
  await expect(Worker.runReplayHistory(replayOptions(), history, 'build-agent-continued')).resolves.toBeUndefined();
});

test('a client cannot start a build with "resume": it fails at once as INPUT_INVALID and nothing runs', async () => {
  const ws = fixtureRepo();
  const before = rig.llm.requests.length;
  const handle = await rig.client.workflow.start('build', {
    taskQueue: rig.worker.taskQueue,
    workflowId: uniqueId('build-forged'),
    args: [
      {
        specPath: 'SPECS.md',
        workspace: ws,
        resume: {
          v: 1,
          generation: 1,
          prep: { specRef: 'sha256:' + '0'.repeat(64), specPath: path.join(ws, 'SPECS.md'), checkCommand: null },
          plan: { title: 'forged', planRef: 'sha256:' + '0'.repeat(64) },
          steps: [],
          records: [],
          next: 0,
          expected: {},
          allowCommands: ['*'],
          run: { gates: [], usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, llmCalls: 0, llmMs: 0 }, ignoredDecisions: [], ignoredTotal: 0, artifacts: [], details: {} },
        },
      },
    ],
  });
  await expect(handle.result()).rejects.toMatchObject({ cause: { type: 'INPUT_INVALID', message: expect.stringMatching(/"resume" is set only by a run continuing as new/) } });
  expect(rig.llm.requests.length).toBe(before);
  expect(gitChanged(ws)).toEqual([]);
});

test('reject {"stop": true} with no feedback field (as the UI sends it) stops the step at a command gate', async () => {
  const ws = fixtureRepo();
  const marker = addMarkerScript(ws);
  rig.llm.enqueue(planReply([{ title: 'Probe', files: [{ path: 'src/text.js' }] }]), turn(runCommand('node mark.js x')));
  const handle = await startAgentBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'none', checkCommand: 'node test.js' });
  await awaitingGate(handle, commandGate(1));
  await handle.signal(rejectSignal, { by: 'ui', stop: true } as never);
  const result: BuildResult = await handle.result();
  expect(result.steps[0]!.status).toBe('skipped');
  expect(marks(marker)).toEqual([]);
  const s = await waitFor(async () => handle.query(stateQuery), 'the state');
  expect(s.ignoredTotal).toBe(0);
  expect(result.decisions.at(-1)).toMatchObject({ gate: commandGate(1), decision: 'reject', stop: true, by: 'ui' });
});
