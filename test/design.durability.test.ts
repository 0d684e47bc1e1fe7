import fs from 'node:fs';
import path from 'node:path';
import { decideUpdate, stateQuery, type DesignResult } from '../src/contracts';
import { draftReply } from './support/fixtures';
import { tmpDir, uniqueId } from './support/env';
import { useRig } from './support/rig';
import { aimlEnv, spawnWorker } from './support/processes';

const rig = useRig({ worker: false });

test('a worker SIGKILLed while the run waits for approval loses nothing and repeats nothing', async () => {
  const taskQueue = uniqueId('kill');
  const home = tmpDir('aiml-home-');
  const env = aimlEnv({ AIML_TASK_QUEUE: taskQueue, OPENAI_BASE_URL: rig.llm.url, OPENAI_API_KEY: 'sk-test', AIML_MODEL: 'scripted', AIML_HOME: home });
  const workspace = tmpDir();
  rig.llm.enqueue(draftReply('durable'));

  const first = await spawnWorker(env);
  const handle = await rig.client.workflow.start('design', {
    taskQueue,
    workflowId: uniqueId('design-kill'),
    args: [{ brief: 'A RAG assistant for internal wiki pages', workspace }],
  });
  const deadline = Date.now() + 60_000;
  while ((await handle.query(stateQuery)).status !== 'awaiting_approval') {
    if (Date.now() > deadline) throw new Error('never reached the gate');
    await new Promise((r) => setTimeout(r, 200));
  }
  await first.kill();
  expect(first.child.signalCode).toBe('SIGKILL');
  const requestsBefore = rig.llm.requests.length;

  const second = await spawnWorker(env);
  try {
    const decision = await handle.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'after-crash' }] });
    expect(decision).toMatchObject({ decision: 'approve', by: 'after-crash', round: 1 });
    const result: DesignResult = await handle.result();
    expect(result.rounds).toBe(1);
    expect(result.decisions).toHaveLength(1);
    expect(rig.llm.requests.length).toBe(requestsBefore); // the draft was not made again
    expect(fs.readFileSync(path.join(workspace, 'SPECS.md'), 'utf8')).toContain('Support assistant architecture durable');

    const events = (await handle.fetchHistory()).events!;
    const completedActivities = events.filter((e) => e.activityTaskCompletedEventAttributes).length;
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
    expect(scheduled).toEqual(['draftArchitecture']);
    expect(completedActivities).toBe(1);
    const localActivities = events
      .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
      .map((e) => JSON.parse(Buffer.from(e.markerRecordedEventAttributes!.details!.data!.payloads![0]!.data!).toString()).activity_type);
    expect(localActivities).toEqual(['checkOutputTarget', 'llmRoutes', 'writeSpec']); // each once
    expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
  } finally {
    await second.stop();
  }
});
