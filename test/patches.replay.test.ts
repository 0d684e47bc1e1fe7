import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { stateQuery } from '../src/contracts';
import { DESIGN_PATCHES, PATCHES_AT_START } from '../src/workflows/patches';
import { draftReply } from './support/fixtures';
import { replayOptions, tmpDir, uniqueId } from './support/env';
import { useRig } from './support/rig';

const rig = useRig();

type Event = temporal.api.history.v1.IHistoryEvent;
const patchOf = (e: Event): string | undefined => {
  const m = e.markerRecordedEventAttributes;
  if (m?.markerName !== 'core_patch') return undefined;
  const id = m.details?.['patch-data']?.payloads?.[0]?.data;
  return id ? (JSON.parse(Buffer.from(id).toString('utf8')) as { id: string }).id : undefined;
};

/**
 * A query that arrives while a run's first workflow task waits on a local activity can make the
 * server record the activity's result in the first task and the workflow's next commands in the
 * second; a patch first asked for after the local activity then replays one task early and fails
 * (seen on a real cluster: test/cluster/replay.test.ts). Runs decide their patches up front now.
 */
test('design runs queried from their first moment record every patch before any local activity, and replay', async () => {
  const ws = tmpDir('aiml-patches-');
  const runs = 6;
  rig.llm.enqueue(...Array.from({ length: runs }, () => draftReply('patches')));
  const handles = await Promise.all(
    Array.from({ length: runs }, () =>
      rig.client.workflow.start('design', {
        taskQueue: rig.worker.taskQueue,
        workflowId: uniqueId('design-patches'),
        args: [{ brief: 'A support chatbot that answers from our product docs', workspace: ws, approval: { mode: 'auto' }, specFile: `SPECS-${uniqueId('p')}.md` }],
      }),
    ),
  );
  // Queries from the first moment, while the first task runs its local activities.
  await Promise.all(handles.map(async (h) => {
    for (let i = 0; i < 5; i++) await h.query(stateQuery).catch(() => undefined);
  }));
  await Promise.all(handles.map((h) => h.result()));

  for (const h of handles) {
    const history = await h.fetchHistory();
    const events = history.events!;
    const firstLocal = events.findIndex((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    const patches = events.map((e, i) => [patchOf(e), i] as const).filter(([id]) => id);
    expect(firstLocal).toBeGreaterThan(0);
    // Every patch the design workflow uses is decided, and each marker comes before the first local activity's.
    expect(patches.map(([id]) => id)).toEqual([PATCHES_AT_START, ...DESIGN_PATCHES]);
    for (const [, at] of patches) expect(at).toBeLessThan(firstLocal);
    await expect(Worker.runReplayHistory(replayOptions(), history, h.workflowId)).resolves.toBeUndefined();
  }
}, 180_000);
