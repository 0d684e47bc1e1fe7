import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { LIMITS, stateQuery } from '../../src/contracts';
import { draftReply } from '../support/fixtures';
import { tmpDir, uniqueId, waitFor } from '../support/env';
import { useRig } from '../support/rig';

const rig = useRig();

function start(type: string, input: unknown): Promise<WorkflowHandle> {
  return rig.client.workflow.start(type, { taskQueue: rig.worker.taskQueue, workflowId: uniqueId(`${type}-boundary`), args: [input] });
}

/** The failure at the root of a failed run (through an activity failure, when there is one). */
async function rootFailure(handle: WorkflowHandle): Promise<{ message: string; type?: string }> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as WorkflowFailedError).cause as (Error & { cause?: Error; type?: string }) | undefined;
  while (cause?.cause) cause = cause.cause as typeof cause;
  return { message: cause?.message ?? '', type: cause?.type };
}

test('bad workflow inputs fail the run at once, non-retryably, before any LLM call', async () => {
  const calls = rig.llm.requests.length;
  const workspace = tmpDir();
  const cases: [string, unknown, RegExp][] = [
    ['design', { brief: 'b'.repeat(1_100_000), workspace }, /design input: the input is too large: \d+ characters of JSON, at most 262144/],
    ['design', { brief: 'b'.repeat(LIMITS.briefChars + 1), workspace }, /design input: "brief" is too long: 32001 characters, at most 32000/],
    ['design', { brief: 'A chatbot', workspace: '' }, /design input: "workspace" must not be empty/],
    ['design', { brief: 'A chatbot', workspace: 'relative/dir' }, /"workspace" must be an absolute path/],
    ['design', { brief: 'A chatbot', workspace, approval: { mode: 'sometimes' } }, /"approval.mode" must be one of "manual", "auto"/],
    ['build', { specPath: 'SPECS.md', workspace, limits: { maxSteps: 'ten' } }, /build input: "limits.maxSteps" must be a finite number, got a string/],
    ['ship', { brief: 'A chatbot', workspace, wat: 1 }, /ship input: the payload has unknown field "wat"/],
    ['ingest', { kb: 42 }, /ingest input: "kb" must be a string, got a number/],
  ];
  const handles = await Promise.all(cases.map(([type, input]) => start(type, input)));
  for (const [i, handle] of handles.entries()) {
    const root = await rootFailure(handle);
    expect(root).toEqual({ message: expect.stringMatching(cases[i]![2]), type: 'INPUT_INVALID' });
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]); // nothing ran
    expect(history.events!.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]); // failed the run, not a task
  }
  expect(rig.llm.requests.length).toBe(calls);
});

test('a hand-written SPECS.md or a SPECS.md link stops the run before drafting or any gate; the file is left as it was', async () => {
  const calls = rig.llm.requests.length;
  const mine = tmpDir();
  fs.writeFileSync(path.join(mine, 'SPECS.md'), '# My own notes\n');
  const linked = tmpDir();
  const outside = tmpDir();
  fs.writeFileSync(path.join(outside, 'target.md'), 'outside\n');
  fs.symlinkSync(path.join(outside, 'target.md'), path.join(linked, 'SPECS.md'));

  const refused = await rootFailure(await start('design', { brief: 'A docs chatbot', workspace: mine }));
  expect(refused).toEqual({ type: 'OUTPUT_EXISTS', message: expect.stringMatching(/^SPECS.md already exists in .* refusing to overwrite it.*--force/) });
  expect(fs.readFileSync(path.join(mine, 'SPECS.md'), 'utf8')).toBe('# My own notes\n');

  const viaLink = await start('design', { brief: 'A docs chatbot', workspace: linked });
  expect(await rootFailure(viaLink)).toEqual({ type: 'PATH_REFUSED', message: expect.stringMatching(/symbolic link/) });
  expect(fs.readFileSync(path.join(outside, 'target.md'), 'utf8')).toBe('outside\n');
  const state = await viaLink.query(stateQuery);
  expect(state.gates).toEqual([]); // nobody was asked to approve
  expect(state.status).toBe('failed');
  expect(state.error).toMatch(/symbolic link/); // the cause, not "Activity task failed"
  expect(rig.llm.requests.length).toBe(calls);
});

test('force replaces a hand-written SPECS.md; control characters from the brief and decisions never reach it', async () => {
  const workspace = tmpDir();
  fs.writeFileSync(path.join(workspace, 'SPECS.md'), '# My own notes\n');
  rig.llm.enqueue(draftReply('forced'));
  const handle = await start('design', { brief: 'A docs \u001b[31mchatbot\u0007 with\u0000 NUL', workspace, force: true });
  await waitFor(async () => ((await handle.query(stateQuery)).status === 'awaiting_approval' ? true : undefined), 'the design gate');
  await handle.signal('approve', { by: 'ana\u001b]0;pwned\u0007', comment: 'ok\u009b fine\r' });
  await handle.result();
  const spec = fs.readFileSync(path.join(workspace, 'SPECS.md'), 'utf8');
  expect(spec).toContain('AI/ML ARCHITECTURE DESIGN:');
  expect(spec).toContain('> Brief: A docs chatbot with NUL');
  expect(spec).toContain('approve by ana at');
  expect(spec).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  expect(spec).not.toContain('My own notes');
});
