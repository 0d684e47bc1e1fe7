import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { startBuild } from '../build/helpers';
import { tmpDir } from '../support/env';
import { useRig } from '../support/rig';

const rig = useRig();

test('a hand-written BUILD_REPORT.md stops a build before it reads the spec or plans; the file is left as it was', async () => {
  const workspace = tmpDir();
  fs.writeFileSync(path.join(workspace, 'SPECS.md'), '# Spec\nAdd whisper().\n');
  fs.writeFileSync(path.join(workspace, 'BUILD_REPORT.md'), 'my report\n');
  const calls = rig.llm.requests.length;
  const handle = await startBuild(rig.client, rig.worker.taskQueue, { workspace, approval: 'none', checkCommand: '' });
  const err = await handle.result().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause?.cause as Error & { type?: string };
  expect(cause.type).toBe('OUTPUT_EXISTS');
  expect(cause.message).toMatch(/^BUILD_REPORT.md already exists in .* refusing to overwrite it.*--force/);
  const scheduled = (await handle.fetchHistory()).events!.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name] : []));
  expect(scheduled).toEqual(['checkOutputTarget']);
  expect(rig.llm.requests.length).toBe(calls);
  expect(fs.readFileSync(path.join(workspace, 'BUILD_REPORT.md'), 'utf8')).toBe('my report\n');
});
