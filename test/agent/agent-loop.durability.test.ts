import fs from 'node:fs';
import path from 'node:path';
import type { BuildResult } from '../../src/contracts';
import { tmpDir, uniqueId } from '../support/env';
import { aimlEnv, spawnWorker, type WorkerProcess } from '../support/processes';
import { fixtureRepo, git, planReply } from '../build/fixtures';
import { useRig, waitFor } from '../build/helpers';
import { finish, latestResults, runCommand, startAgentBuild, turn } from './helpers';

const rig = useRig({ worker: false });

/** Scripts that log each start (and, for slow.js, each end) to .marks: side effects counted. */
function markerRepo(): { ws: string; marks: () => string[] } {
  const ws = fixtureRepo();
  fs.writeFileSync(path.join(ws, 'mark.js'), "require('node:fs').appendFileSync(__dirname + '/.marks', process.argv[2] + '\\n');\n");
  fs.writeFileSync(
    path.join(ws, 'slow.js'),
    "const fs = require('node:fs');\nfs.appendFileSync(__dirname + '/.marks', 'slow-start\\n');\nsetTimeout(() => fs.appendFileSync(__dirname + '/.marks', 'slow-end\\n'), 12000);\n",
  );
  git(ws, 'add', '.');
  git(ws, '-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'markers');
  fs.appendFileSync(path.join(ws, '.git/info/exclude'), '.marks\n');
  const file = path.join(ws, '.marks');
  return { ws, marks: () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []) };
}

test('SIGKILL between two tool calls and again during a command: no completed tool runs twice, the interrupted command is reported, the run completes', async () => {
  const taskQueue = uniqueId('agent-kill');
  const home = tmpDir('aiml-home-');
  const env = aimlEnv({ AIML_TASK_QUEUE: taskQueue, OPENAI_BASE_URL: rig.llm.url, OPENAI_API_KEY: 'sk-test', AIML_MODEL: 'scripted', AIML_HOME: home });
  const { ws, marks } = markerRepo();
  const slowTurn = turn(runCommand('node slow.js'));
  rig.llm.enqueue(
    planReply([{ title: 'Probe', files: [{ path: 'src/text.js' }] }]),
    turn(runCommand('node mark.js one')),
    { ...slowTurn, delayMs: 8000 }, // the worker is killed while it waits for this answer
    slowTurn, // the retried turn's answer
    turn(finish('Probed.')),
  );
  const before = rig.llm.requests.length;
  const workers: WorkerProcess[] = [];
  const spawn = async (): Promise<WorkerProcess> => {
    const w = await spawnWorker(env, 120_000);
    workers.push(w);
    return w;
  };
  try {
    const first = await spawn();
    const handle = await startAgentBuild(rig.client, taskQueue, { workspace: ws, approval: 'none', checkCommand: 'node test.js', policy: { allowCommands: ['node mark.js*', 'node slow.js'] } });
    // Killed between the two commands: the first ran, the model's next turn is in flight.
    await waitFor(async () => (rig.llm.requests.length >= before + 3 ? true : undefined), 'the second turn to be asked for', 90_000);
    expect(marks()).toEqual(['one']);
    await first.kill();

    // Killed during the second command.
    const second = await spawn();
    await waitFor(async () => (marks().includes('slow-start') ? true : undefined), 'the slow command to start', 90_000);
    await second.kill();

    await spawn();
    const result: BuildResult = await handle.result();
    expect(result.steps[0]!.status).toBe('passed');
    // Each completed command ran exactly once; the interrupted one was not started again.
    expect(marks().filter((m) => m === 'one')).toHaveLength(1);
    expect(marks().filter((m) => m === 'slow-start')).toHaveLength(1);
    const finishTurn = rig.llm.requests.slice(before).find((r) => latestResults(r).some((t) => t.includes('interrupted')));
    expect(finishTurn).toBeDefined();
    expect(latestResults(finishTurn!)[0]).toMatch(/interrupted: the command was started and the worker stopped; it was not run again/);

    const events = (await handle.fetchHistory()).events!;
    const commands = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'agentCommand');
    expect(commands).toHaveLength(2); // one activity per command call, the second retried after the kill
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) await w.stop();
  }
}, 300_000);
