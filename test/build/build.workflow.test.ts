import fs from 'node:fs';
import path from 'node:path';
import { BUDGET_GATE, BUILD_PLAN_GATE, buildStepGate, decideUpdate, rejectSignal, stateQuery, type BuildResult, type BuildStepState } from '../../src/contracts';
import { BlobStore } from '../../src/storage/blob-store';
import { revertBuild } from '../../src/builder/revert';
import { fixtureRepo, git, gitChanged, patch, planReply, stepReply, whisperEdits, wordsEdits, write } from './fixtures';
import { awaitingGate, startBuild, useRig } from './helpers';

const rig = useRig();

const TWO_STEPS = [
  { title: 'Add whisper', files: [{ path: 'src/text.js' }, { path: 'test.js' }] },
  { title: 'Add word counter', files: [{ path: 'src/words.js', action: 'create' as const }, { path: 'test.js' }] },
];
const lastPrompt = (): string => rig.llm.requests.at(-1)!.messages.map((m) => m.content).join('\n');

test('plan approved, two steps applied, check passes; the report lists exactly the changed files; revert restores byte for byte', async () => {
  const ws = fixtureRepo();
  const original = fs.readFileSync(path.join(ws, 'test.js'));
  rig.llm.enqueue(planReply(TWO_STEPS), stepReply(whisperEdits()), stepReply(wordsEdits(), { dependencies: [], configuration: ['TEXT_LOCALE (optional)'] }));
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'plan' });

  const s = await awaitingGate(handle, BUILD_PLAN_GATE);
  expect(s.gates[0]!.summary).toContain('Add whisper');
  expect(s.details.checkCommand).toBe('npm test --silent'); // detected from package.json
  expect(lastPrompt()).toContain('Add a whisper() function'); // the spec reached the planner
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'ana' }] });

  const result: BuildResult = await handle.result();
  expect(result.steps.map((x) => [x.status, x.attempts])).toEqual([
    ['passed', 1],
    ['passed', 1],
  ]);
  expect(result.filesChanged).toEqual(['src/text.js', 'src/words.js', 'test.js']);
  expect(gitChanged(ws).filter((f) => f !== 'BUILD_REPORT.md')).toEqual(result.filesChanged);
  // git's own diff agrees with what the report says was modified.
  expect(git(ws, 'diff', '--name-only').trim().split('\n').sort()).toEqual(['src/text.js', 'test.js']);

  const report = fs.readFileSync(path.join(ws, 'BUILD_REPORT.md'), 'utf8');
  expect(result.report).toBe(report);
  const sections = ['IMPLEMENTED FILES:', 'CODE STRUCTURE:', 'KEY IMPLEMENTATIONS:', 'INTEGRATION INTERFACES:', 'DEPENDENCIES ADDED:', 'CONFIGURATION:', 'TESTING:', 'USAGE EXAMPLES:'];
  const at = sections.map((h) => report.indexOf(`\n${h}\n`));
  expect(at.every((i) => i > 0)).toBe(true);
  expect([...at].sort((a, b) => a - b)).toEqual(at);
  const implemented = report.slice(at[0]!, at[1]!).split('\n').filter((l) => l.startsWith('- ')).map((l) => l.slice(2).split(' ')[0]);
  expect(implemented).toEqual(result.filesChanged);
  expect(report).toMatch(/src\/words\.js \(created, \+5 -0\): word counter/);
  expect(report).toContain('TEXT_LOCALE (optional)');
  expect(report).toMatch(/Step 2 \(Add word counter\): passed, check passed, 2 files written, 1 attempt\./);

  // Nothing big in history: file contents travel as blob refs.
  const history = await handle.fetchHistory();
  expect(JSON.stringify(history).includes('countWords')).toBe(false);

  // Undo: the repository is back byte for byte (the report file aside).
  const undone = revertBuild(rig.worker.stateDir, new BlobStore(path.join(rig.worker.stateDir, 'blobs')), handle.workflowId);
  expect(undone.steps).toEqual([2, 1]);
  expect(fs.readFileSync(path.join(ws, 'test.js')).equals(original)).toBe(true);
  expect(fs.existsSync(path.join(ws, 'src/words.js'))).toBe(false);
  expect(gitChanged(ws)).toEqual(['BUILD_REPORT.md']);
});

test('a step that breaks the check is fixed on the next attempt, with the failure fed back', async () => {
  const ws = fixtureRepo();
  const broken = [patch('src/text.js', [['return s.toUpperCase();', 'return s;']])];
  rig.llm.enqueue(planReply([TWO_STEPS[0]!]), stepReply(broken), stepReply([patch('src/text.js', [['return s;', 'return s.toUpperCase();']])]));
  rig.llm.requests.length = 0;
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'none', checkCommand: 'node test.js' });
  const result: BuildResult = await handle.result();
  expect(result.steps[0]).toMatchObject({ status: 'passed', attempts: 2 });
  const fixPrompt = rig.llm.requests[2]!.messages.map((m) => m.content).join('\n');
  expect(fixPrompt).toContain('the check failed');
  expect(fixPrompt).toContain('AssertionError'); // the check output reached the model
  expect(fs.readFileSync(path.join(ws, 'src/text.js'), 'utf8')).toContain('return s.toUpperCase();');
});

test('a step that never passes stops at its gate after the limit, with the failure shown', async () => {
  const ws = fixtureRepo();
  const broken = (n: number) => stepReply([patch('src/text.js', [[n === 1 ? 'return s.toUpperCase();' : `return s + ${n - 1};`, `return s + ${n};`]])]);
  rig.llm.enqueue(planReply([TWO_STEPS[0]!]), broken(1), broken(2));
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'none', checkCommand: 'node test.js', limits: { maxFixAttempts: 1 } });
  const s = await awaitingGate(handle, buildStepGate(1));
  const step = (s.details.steps as BuildStepState[])[0]!;
  expect(step).toMatchObject({ status: 'stuck', attempts: 2 });
  expect(step.check).toMatchObject({ passed: false, exitCode: 1 });
  expect(step.problem).toMatch(/check failed after 2 attempt\(s\)/);
  expect(s.gates.at(-1)!.summary).toContain('AssertionError');
  expect(rig.llm.requests.filter((r) => r.response_format?.json_schema?.name === 'step_edits').length).toBeGreaterThanOrEqual(2);

  // Accepting the failing step lets the run finish, and the report says so.
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'bo', comment: 'fix by hand' }] });
  const result: BuildResult = await handle.result();
  expect(result.steps[0]!.status).toBe('accepted_failing');
  expect(result.report).toContain('check FAILED');
});

test('approval each: a rejected step is regenerated with the feedback; a user edit during review is a conflict, not overwritten', async () => {
  const ws = fixtureRepo();
  rig.llm.enqueue(planReply([TWO_STEPS[0]!]), stepReply([write('src/text.js', 'module.exports = {};\n')]), stepReply(whisperEdits()), stepReply(whisperEdits()));
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'each', checkCommand: 'node test.js' });
  await awaitingGate(handle, BUILD_PLAN_GATE);
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'ana' }] });

  await awaitingGate(handle, buildStepGate(1), 1);
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'reject', by: 'ana', feedback: 'Keep shout(); add whisper next to it' }] });
  const s2 = await awaitingGate(handle, buildStepGate(1), 2);
  expect(lastPrompt()).toContain('Keep shout(); add whisper next to it');
  expect((s2.details.steps as BuildStepState[])[0]!.files.map((f) => f.path)).toEqual(['src/text.js', 'test.js']);

  // The user edits test.js while the diff waits; approving must not overwrite it.
  const mine = fs.readFileSync(path.join(ws, 'test.js'), 'utf8') + '// my note\n';
  fs.writeFileSync(path.join(ws, 'test.js'), mine);
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'ana' }] });
  const s3 = await awaitingGate(handle, buildStepGate(1), 3);
  expect(s3.gates.at(-1)!.summary).toMatch(/conflict: test\.js: was changed since aiml last saw it/);
  expect(fs.readFileSync(path.join(ws, 'test.js'), 'utf8')).toBe(mine);
  expect(fs.readFileSync(path.join(ws, 'src/text.js'), 'utf8')).not.toContain('whisper'); // nothing of the step was written

  // Approving the conflict accepts the user's version as the base and regenerates against it;
  // under `each` the new diff is reviewed again.
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'ana' }] });
  const s4 = await awaitingGate(handle, buildStepGate(1), 4);
  expect(s4.gates.at(-1)!.summary).toMatch(/modified src\/text\.js, modified test\.js/);
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'ana' }] });
  const result: BuildResult = await handle.result();
  expect(result.steps[0]).toMatchObject({ status: 'passed' });
  const testJs = fs.readFileSync(path.join(ws, 'test.js'), 'utf8');
  expect(testJs).toContain('// my note');
  expect(testJs).toContain("whisper('HI')");
});

test('refused edits go back to the model with a precise message; revert after a user edit refuses', async () => {
  const ws = fixtureRepo();
  rig.llm.enqueue(
    planReply([TWO_STEPS[0]!]),
    stepReply([write('../escape.js', 'x'), patch('src/text.js', [['return s.toLowerCase();', 'x']])]),
    stepReply(whisperEdits()),
  );
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'none', checkCommand: 'node test.js' });
  const result: BuildResult = await handle.result();
  expect(result.steps[0]).toMatchObject({ status: 'passed', attempts: 2 });
  const retry = rig.llm.requests.at(-1)!.messages.map((m) => m.content).join('\n');
  expect(retry).toContain('edit 1 (../escape.js) [PATH_REFUSED]');
  expect(retry).toMatch(/edit 2 \(src\/text\.js\), block 1 \[NO_MATCH\]: .*nearest lines/);
  expect(fs.existsSync(path.join(path.dirname(ws), 'escape.js'))).toBe(false);

  fs.appendFileSync(path.join(ws, 'src/text.js'), '// edited by hand\n');
  const blobs = new BlobStore(path.join(rig.worker.stateDir, 'blobs'));
  expect(() => revertBuild(rig.worker.stateDir, blobs, handle.workflowId)).toThrow(/changed since aiml applied it: src\/text\.js .*--force/);
  expect(fs.readFileSync(path.join(ws, 'src/text.js'), 'utf8')).toContain('whisper'); // nothing was undone
  const forced = revertBuild(rig.worker.stateDir, blobs, handle.workflowId, { force: true });
  expect(forced.restored.sort()).toEqual(['src/text.js', 'test.js']);
  expect(gitChanged(ws)).toEqual(['BUILD_REPORT.md']);
  const final = await handle.query(stateQuery);
  expect(final.status).toBe('completed');
});

test('the token budget parks the run at the budget gate before the next LLM call; stopping there ends it cleanly, saying how to undo', async () => {
  const ws = fixtureRepo();
  rig.llm.enqueue(planReply([TWO_STEPS[0]!]));
  const before = rig.llm.requests.length;
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'none', checkCommand: '', limits: { tokenBudget: 50 } });
  const parked = await awaitingGate(handle, BUDGET_GATE);
  expect(parked.gates.at(-1)!.summary).toMatch(/^budget reached before step 1: \d+ tokens spent of 50 \(limit 50 tokens\)/);
  expect(parked.details.checkCommand).toBeNull(); // an empty --check means no check, not "detect"
  await handle.signal(rejectSignal, { by: 'bo' });
  const result: BuildResult = await handle.result();
  expect(result.stopped).toMatch(/^stopped by bo at the budget gate \(\d+ tokens spent of 50\)/);
  expect(result.steps[0]!.status).toBe('skipped');
  const s = await handle.query(stateQuery);
  expect(s.status).toBe('completed');
  expect(s.step).toMatch(/undo: aiml revert build-/);
  expect(rig.llm.requests.slice(before).map((r) => r.response_format?.json_schema?.name)).toEqual(['build_plan']);
});

test('a planned file changed after the plan stops its step before any tokens are spent on it', async () => {
  const ws = fixtureRepo();
  rig.llm.enqueue(planReply([TWO_STEPS[0]!]), stepReply(whisperEdits()));
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'plan', checkCommand: 'node test.js' });
  await awaitingGate(handle, BUILD_PLAN_GATE);
  fs.appendFileSync(path.join(ws, 'src/text.js'), '// edited while the plan waited\n');
  const before = rig.llm.requests.length;
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'ana' }] });
  const s = await awaitingGate(handle, buildStepGate(1));
  expect(s.gates.at(-1)!.summary).toMatch(/conflict: src\/text\.js: was changed since aiml last saw it/);
  expect(rig.llm.requests.length).toBe(before); // no step generated yet
  await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'ana' }] });
  const result: BuildResult = await handle.result();
  expect(result.steps[0]!.status).toBe('passed');
  expect(fs.readFileSync(path.join(ws, 'src/text.js'), 'utf8')).toContain('// edited while the plan waited');
});

test('a step answer that stays malformed after its repair request is one failed attempt, not the end of the run', async () => {
  const ws = fixtureRepo();
  rig.llm.enqueue(planReply([TWO_STEPS[0]!]), { content: 'Sure! Here are the edits.' }, { content: '{"summary": "x"}' }, stepReply(whisperEdits()));
  const before = rig.llm.requests.length;
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'none', checkCommand: 'node test.js' });
  const result: BuildResult = await handle.result();
  expect(result.steps[0]).toMatchObject({ status: 'passed', attempts: 2 });
  const third = rig.llm.requests.slice(before)[3]!.messages.map((m) => m.content).join('\n');
  expect(third).toMatch(/Your previous edits were refused[\s\S]*not valid step_edits JSON/);
});
