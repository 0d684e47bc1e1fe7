import { isAimlError } from '../../src/errors';
import { DEFAULT_MAX_CACHED_WORKFLOWS, DEFAULT_WORKER_V8_FLAGS, workerMemorySettings } from '../../src/temporal/worker-memory';

test('worker memory settings: defaults, overrides, and a clear refusal naming the variable', () => {
  expect(workerMemorySettings({})).toEqual({ maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS, v8Flags: DEFAULT_WORKER_V8_FLAGS.split(' ') });
  expect(workerMemorySettings({ AIML_MAX_CACHED_WORKFLOWS: ' 250 ', AIML_WORKER_V8_FLAGS: 'none' })).toEqual({ maxCachedWorkflows: 250, v8Flags: [] });
  expect(workerMemorySettings({ AIML_WORKER_V8_FLAGS: '--max-semi-space-size=4' }).v8Flags).toEqual(['--max-semi-space-size=4']);
  for (const [env, variable, text] of [
    [{ AIML_MAX_CACHED_WORKFLOWS: 'lots' }, 'AIML_MAX_CACHED_WORKFLOWS', 'got "lots"'],
    [{ AIML_MAX_CACHED_WORKFLOWS: '1' }, 'AIML_MAX_CACHED_WORKFLOWS', 'at least 2'],
    [{ AIML_WORKER_V8_FLAGS: 'optimize-for-size; rm -rf /' }, 'AIML_WORKER_V8_FLAGS', '"optimize-for-size;" is not a V8 flag'],
  ] as const) {
    let err: unknown;
    try {
      workerMemorySettings(env);
    } catch (e) {
      err = e;
    }
    expect(isAimlError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain(`Invalid ${variable}`);
    expect((err as Error).message).toContain(text);
  }
});
