import { describeRun } from '../../src/client/run-view';
import { draftReply } from '../support/fixtures';
import { tmpDir, uniqueId, waitFor } from '../support/env';
import { useRig } from '../support/rig';
import { activityAttempts, approveAtGate, promptOf } from './support';

/**
 * A 429 storm: for 5 s every LLM request of four concurrent runs is refused with 429, half of
 * them with `Retry-After: 2`, half without. Every run completes after the storm within the retry
 * policy (6 attempts), each 429 costing exactly one activity attempt (no hidden client retries),
 * the Retry-After ones waiting as told. A fifth run meets a storm that never ends (`Retry-After: 1`)
 * and fails after 6 attempts naming the 429. ~25 s.
 */

const rig = useRig();
const STORM_MS = 5_000;
const RUNS = ['STORM-0', 'STORM-1', 'STORM-2', 'STORM-3'];
const withRetryAfter = (tag: string): boolean => Number(tag.slice(-1)) % 2 === 0;

test('a 429 storm over several runs: all finish after it within the retry policy, Retry-After obeyed; an endless storm fails clearly', async () => {
  const arrivals: Record<string, number[]> = Object.fromEntries([...RUNS, 'ENDLESS'].map((t) => [t, []]));
  let stormEnds: number | undefined;
  rig.llm.setFallback((req) => {
    const prompt = promptOf(req);
    const tag = Object.keys(arrivals).find((t) => prompt.includes(`${t}:`));
    if (!tag) return { status: 500, error: 'scripted LLM: no script for this prompt' };
    arrivals[tag]!.push(Date.now());
    if (tag === 'ENDLESS') return { status: 429, error: 'Rate limit reached, retry in 1s', headers: { 'retry-after': '1' } };
    stormEnds ??= Date.now() + STORM_MS;
    const headers: Record<string, string> = withRetryAfter(tag) ? { 'retry-after': '2' } : {};
    if (Date.now() < stormEnds) return { status: 429, error: 'Rate limit reached', headers };
    return draftReply(tag.toLowerCase());
  });
  const start = (tag: string) =>
    rig.client.workflow.start('design', {
      taskQueue: rig.worker.taskQueue,
      workflowId: uniqueId(`fault-429-${tag.toLowerCase()}`),
      args: [{ brief: `${tag}: an agent that triages support tickets`, workspace: tmpDir() }],
    });
  const handles = await Promise.all(RUNS.map(start));
  const endless = await start('ENDLESS');

  const results = await Promise.all(handles.map((h) => approveAtGate(h)));
  for (const [i, tag] of RUNS.entries()) {
    expect(results[i]!.draft.title).toBe(`Support assistant architecture ${tag.toLowerCase()}`);
    const attempts = activityAttempts((await handles[i]!.fetchHistory()).events!, 'draftArchitecture');
    const n = attempts.started[0]!;
    expect(attempts).toMatchObject({ scheduled: 1, completed: 1 });
    expect(n).toBeGreaterThanOrEqual(2); // it met the storm
    expect(n).toBeLessThanOrEqual(6); // within the retry policy
    expect(arrivals[tag]).toHaveLength(n); // one request per attempt: the SDK does not retry on its own
    expect(attempts.lastFailures[0]!.applicationFailureInfo?.type).toBe('LLM_RATE_LIMITED');
    const gaps = arrivals[tag]!.slice(1).map((t, j) => t - arrivals[tag]![j]!);
    // Retry-After: 2 is obeyed; without it Temporal's backoff (1 s, 2 s, 4 s …) spaces the attempts.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(withRetryAfter(tag) ? 1_900 : 900);
  }

  const failed = await waitFor(async () => {
    const v = await describeRun(rig.client, endless.workflowId);
    return v.status === 'failed' ? v : undefined;
  }, 'the run in the endless storm to fail', 60_000);
  expect(arrivals.ENDLESS).toHaveLength(6);
  expect(failed.error).toContain(`draftArchitecture failed: LLM endpoint answered 429 at ${rig.llm.url}`);
}, 120_000);
