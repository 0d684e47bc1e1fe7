import fs from 'node:fs';
import path from 'node:path';
import { stateQuery, type BuildResult } from '../../src/contracts';
import { Journal } from '../../src/workspace/journal';
import { tmpDir, uniqueId } from '../support/env';
import { aimlEnv, spawnWorker } from '../support/processes';
import { fixtureRepo, planReply, stepReply, wordsEdits } from './fixtures';
import { startBuild, useRig, waitFor } from './helpers';

const rig = useRig({ worker: false });

test('a worker SIGKILLed halfway through applying a step: after restart the step is applied exactly once', async () => {
  const taskQueue = uniqueId('build-kill');
  const home = tmpDir('aiml-home-');
  const base = { AIML_TASK_QUEUE: taskQueue, OPENAI_BASE_URL: rig.llm.url, OPENAI_API_KEY: 'sk-test', AIML_MODEL: 'scripted', AIML_HOME: home };
  const ws = fixtureRepo();
  const testJs = path.join(ws, 'test.js');
  const before = fs.readFileSync(testJs, 'utf8');
  rig.llm.enqueue(planReply([{ title: 'Add word counter', files: [{ path: 'src/words.js', action: 'create' }, { path: 'test.js' }] }]), stepReply(wordsEdits()));

  // The first worker pauses after each file it writes, so the kill lands between the two files.
  const first = await spawnWorker(aimlEnv({ ...base, AIML_FAULT_APPLY_PAUSE_MS: '5000' }), 120_000);
  const cleanup = async (): Promise<void> => {
    if (first.child.exitCode === null && first.child.signalCode === null) await first.kill();
  };
  const handle = await startBuild(rig.client, taskQueue, { workspace: ws, approval: 'none', checkCommand: 'node test.js' });
  await waitFor(async () => (fs.existsSync(path.join(ws, 'src/words.js')) ? true : undefined), 'the first file of the step to be written', 90_000).catch(async (err: Error) => {
    const state = await handle.query(stateQuery).catch((e: Error) => e.message);
    const output = first.output();
    await cleanup();
    throw new Error(`${err.message}\nrun state: ${JSON.stringify(state)}\nworker output:\n${output}`);
  });
  await first.kill();
  expect(first.child.signalCode).toBe('SIGKILL');
  expect(fs.readFileSync(testJs, 'utf8')).toBe(before); // killed mid-step: the second file is untouched
  const requestsAtKill = rig.llm.requests.length;

  const second = await spawnWorker(aimlEnv(base), 120_000);
  try {
    const result: BuildResult = await handle.result();
    expect(result.steps[0]).toMatchObject({ status: 'passed', attempts: 1 });
    const after = fs.readFileSync(testJs, 'utf8');
    expect(after.match(/countWords\('a b {2}c'\)/g)).toHaveLength(1);
    expect(after.match(/console\.log\('ok'\)/g)).toHaveLength(1);
    expect(rig.llm.requests.length).toBe(requestsAtKill); // nothing was generated again

    const journal = new Journal(home, handle.workflowId).read();
    expect(journal.entries.map((e) => e.key)).toEqual(['step-1/attempt-1']);
    expect(journal.entries[0]!.files.map((f) => f.path)).toEqual(['src/words.js', 'test.js']);

    const events = (await handle.fetchHistory()).events!;
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'applyStep');
    expect(scheduled).toHaveLength(1); // one apply, retried by Temporal after the crash
    const started = events.filter((e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.scheduledEventId?.toString() === scheduled[0]!.eventId?.toString());
    expect(started[0]!.activityTaskStartedEventAttributes!.attempt).toBeGreaterThanOrEqual(2);
  } finally {
    await second.stop();
  }
}, 240_000);
