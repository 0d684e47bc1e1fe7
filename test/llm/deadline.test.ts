import { LlmError } from '../../src/llm/errors';
import { StreamDeadline } from '../../src/llm/deadline';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('idle from the start: silence before the first chunk is a stall', async () => {
  const d = new StreamDeadline(undefined, 10_000, 80);
  await sleep(400);
  expect(d.signal.aborted).toBe(true);
  expect(d.explain(new Error('aborted'))).toMatchObject({ code: 'LLM_STALLED' });
  d.clear();
});

test('idle from the first chunk (a model in this process reading its prompt): no stall until a token came, then the idle clock runs', async () => {
  const d = new StreamDeadline(undefined, 10_000, 80, 'first-chunk');
  await sleep(400); // five idle periods of prompt reading
  expect(d.signal.aborted).toBe(false);
  d.touch(); // the first token
  await sleep(400);
  expect(d.signal.aborted).toBe(true);
  const err = d.explain(new Error('aborted'));
  expect(err).toBeInstanceOf(LlmError);
  expect(err).toMatchObject({ code: 'LLM_STALLED', retryable: true });
  d.clear();
});

test('idle from the first chunk: the total timeout still bounds a prompt that never yields a token', async () => {
  const d = new StreamDeadline(undefined, 150, 80, 'first-chunk');
  await sleep(500);
  expect(d.signal.aborted).toBe(true);
  expect(d.explain(new Error('aborted'))).toMatchObject({ code: 'LLM_TIMEOUT' });
});
