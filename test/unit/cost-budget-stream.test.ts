import { BUDGET_GATE, budgetReached, checkDecision, decisionCommands, parseApprove, remaining, toppedUp, ZERO_USAGE, addUsage, callUsage } from '../../src/contracts';
import { isStreamBeat, STREAM_TAIL_CHARS, type StreamBeat } from '../../src/contracts/stream';
import { StreamTap } from '../../src/activities/stream-tap';
import { StreamFollower } from '../../src/client/stream';
import { costUsd, loadPriceTable, parsePriceList, priceOf } from '../../src/llm/prices';
import { withUsageAndCost } from '../../src/llm/usage';
import type { Context } from '@temporalio/activity';

describe('prices', () => {
  test('exact, longest-prefix and provider-qualified keys; the local model is free; unknown models have no price', () => {
    const table = { ...loadPriceTable({}), 'gpt-4o': { input: 2.5, output: 10 }, 'azure/gpt-4o': { input: 3, output: 12 } };
    expect(priceOf(table, 'openai', 'gpt-4o-mini-2024-07-18')).toEqual({ input: 0.15, output: 0.6 });
    expect(priceOf(table, 'openai', 'gpt-4o-2024-08-06')).toEqual({ input: 2.5, output: 10 });
    expect(priceOf(table, 'azure', 'gpt-4o')).toEqual({ input: 3, output: 12 });
    expect(priceOf(table, 'local', 'local:SmolLM2')).toEqual({ input: 0, output: 0 });
    expect(priceOf(table, 'openai', 'llama3:8b')).toBeUndefined();
    expect(costUsd({ input: 2.5, output: 10 }, 1000, 500)).toBeCloseTo(0.0075, 10);
  });

  test('AIML_PRICES overrides, and a bad entry names the variable', () => {
    expect(loadPriceTable({ AIML_PRICES: 'llama3:8b=0.2/0.8, gpt-4o=1/2' })).toMatchObject({ 'llama3:8b': { input: 0.2, output: 0.8 }, 'gpt-4o': { input: 1, output: 2 } });
    expect(() => parsePriceList('gpt-4o=cheap')).toThrow(/Invalid AIML_PRICES: "gpt-4o=cheap" is not <model>=<input>\/<output>/);
    expect(() => parsePriceList('gpt-4o=1/-2')).toThrow(/AIML_PRICES/);
  });
});

describe('usage', () => {
  const req = { messages: [{ role: 'user' as const, content: 'x'.repeat(400) }] };
  const res = { content: 'y'.repeat(80), toolCalls: [], model: 'm', finishReason: 'stop', latencyMs: 1 };

  test("the provider's counts are kept and priced; none reported means counted here and marked estimated", () => {
    const prices = { m: { input: 1, output: 2 } };
    const given = withUsageAndCost(req, { ...res, usage: { promptTokens: 1000, completionTokens: 100, totalTokens: 1100 } }, prices, 'openai');
    expect(given.usage).toEqual({ promptTokens: 1000, completionTokens: 100, totalTokens: 1100, costUsd: 0.0012 });
    const counted = withUsageAndCost(req, { ...res, usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 } }, {}, 'openai');
    expect(counted.usage).toEqual({ promptTokens: 104, completionTokens: 20, totalTokens: 124, estimated: true, unpriced: true });
  });

  test('run usage sums cost and counts unpriced and estimated calls; usage without cost stays without', () => {
    const a = addUsage({ ...ZERO_USAGE }, callUsage({ promptTokens: 10, completionTokens: 5, totalTokens: 15, costUsd: 0.1 }, 1, 3));
    const b = addUsage(a, callUsage({ promptTokens: 1, completionTokens: 1, totalTokens: 2, unpriced: true, estimated: true }, 2));
    expect(b).toMatchObject({ totalTokens: 17, llmCalls: 3, costUsd: 0.1, unpricedCalls: 2, estimatedCalls: 2 });
    expect(addUsage({ ...ZERO_USAGE }, { totalTokens: 5 })).not.toHaveProperty('costUsd');
  });
});

describe('budget', () => {
  const used = (tokens: number, usd?: number) => ({ ...ZERO_USAGE, totalTokens: tokens, ...(usd !== undefined ? { costUsd: usd } : {}) });

  test('reached at either limit; a top-up raises only the limits the run has; what is left never goes below 0', () => {
    expect(budgetReached({ usd: 1 }, used(10, 0.5))).toBeUndefined();
    expect(budgetReached({ usd: 1 }, used(10, 1))).toBe('$1.0000 spent of $1.00');
    expect(budgetReached({ tokens: 100, usd: 5 }, used(120, 0.1))).toBe('120 tokens spent of 100');
    expect(toppedUp({ usd: 1 }, { usd: 2, tokens: 50 })).toEqual({ usd: 3 });
    expect(remaining({ usd: 1, tokens: 100 }, used(150, 0.25))).toEqual({ usd: 0.75, tokens: 0 });
  });

  test('the budget gate takes an approval with a top-up, a rejection without feedback, and nothing else', () => {
    const run = { pendingGate: BUDGET_GATE, gates: [{ gate: BUDGET_GATE, round: 1, status: 'pending' as const }] };
    expect(checkDecision(run, { decision: 'approve', topUpUsd: 2 }).ok).toBe(true);
    expect(checkDecision(run, { decision: 'reject' }).ok).toBe(true);
    expect(checkDecision(run, { decision: 'approve' })).toEqual({ ok: false, reason: expect.stringMatching(/approved with a top-up/) });
    expect(checkDecision(run, { decision: 'reject', topUpUsd: 1 })).toEqual({ ok: false, reason: 'a top-up goes with an approval only' });
    const design = { pendingGate: 'design/spec', gates: [{ gate: 'design/spec', round: 1, status: 'pending' as const }] };
    expect(checkDecision(design, { decision: 'approve', topUpTokens: 10 })).toEqual({ ok: false, reason: expect.stringMatching(/top-up applies at the budget gate only/) });
    expect(parseApprove({ topUpUsd: -1 }).ok).toBe(false);
    expect(parseApprove({ topUpUsd: 2.5, topUpTokens: 1000 })).toEqual({ ok: true, value: { topUpUsd: 2.5, topUpTokens: 1000 } });
    expect(decisionCommands('design-1', BUDGET_GATE)).toEqual({ approve: 'aiml approve design-1 --gate budget --top-up <usd>', reject: 'aiml reject design-1 --gate budget' });
  });
});

describe('streaming', () => {
  test('the tap heartbeats a bounded tail with its offset, per call and attempt', () => {
    const beats: StreamBeat[] = [];
    const ctx = { info: { attempt: 2 }, heartbeat: (d: StreamBeat) => beats.push(d) } as unknown as Context;
    const tap = new StreamTap(ctx);
    tap.start();
    tap.text('a'.repeat(STREAM_TAIL_CHARS));
    tap.text('bcd');
    expect(beats.at(-1)).toEqual({ kind: 'llm-stream', attempt: 2, call: 1, offset: 3, tail: `${'a'.repeat(STREAM_TAIL_CHARS - 3)}bcd` });
    tap.start();
    expect(tap.details()).toEqual({ kind: 'llm-stream', attempt: 2, call: 2, offset: 0, tail: '' });
    // The router falls back mid-call: the next provider's text starts afresh, after the list of those that stopped.
    tap.text('half an ans');
    tap.fallback('primary', 'LLM_STALLED', 'backup');
    tap.text('whole');
    expect(beats.at(-1)).toEqual({ kind: 'llm-stream', attempt: 2, call: 2, offset: 0, tail: 'whole', fallbacks: [{ from: 'primary', reason: 'LLM_STALLED', to: 'backup' }] });
    tap.start(); // a new call has no fallbacks yet
    expect(tap.details()).toEqual({ kind: 'llm-stream', attempt: 2, call: 3, offset: 0, tail: '' });
  });

  test('only a well-formed heartbeat is shown: a fallback without its names, or of the wrong type, is passed over', () => {
    const ok = { kind: 'llm-stream', attempt: 1, call: 1, offset: 0, tail: 'x' };
    expect(isStreamBeat(ok)).toBe(true);
    expect(isStreamBeat({ ...ok, fallbacks: [{ from: 'a', reason: 'LLM_STALLED', to: 'b' }] })).toBe(true);
    for (const fallbacks of [[null], [{ from: 'a', to: 'b' }], [{ from: 1, reason: 'r', to: 'b' }], ['a → b'], 'a'])
      expect([fallbacks, isStreamBeat({ ...ok, fallbacks })]).toEqual([fallbacks, false]);
    expect(isStreamBeat({ ...ok, tail: 5 })).toBe(false);
    expect(isStreamBeat(null)).toBe(false);
  });

  test('the follower prints each piece once and in order, through repeated heartbeats and a retried attempt', () => {
    const f = new StreamFollower();
    const beat = (attempt: number, offset: number, tail: string, call = 1): StreamBeat => ({ kind: 'llm-stream', attempt, call, offset, tail });
    const printed = [
      f.next('a1', beat(1, 0, 'Hel')),
      f.next('a1', beat(1, 0, 'Hel')), // the same heartbeat, polled again
      f.next('a1', beat(1, 0, 'Hello wor')),
      f.next('a1', beat(1, 0, 'Hello wor')), // attempt 2 has started but not heartbeated: attempt 1's details still show
      f.next('a1', beat(2, 0, 'Hi')),
      f.next('a1', beat(1, 0, 'Hello world')), // a stale heartbeat of the older attempt
      f.next('a1', beat(2, 3, 'there')), // the tail moved on past what was shown
    ];
    expect(printed).toEqual(['Hel', '', 'lo wor', '', '\n[attempt 2: the model starts its answer again]\nHi', '', '[… 1 characters]there']);
  });

  test('the follower marks a provider that stopped mid-call, once, and shows the next one\'s text from its start', () => {
    const f = new StreamFollower();
    const stalled = { from: 'primary', reason: 'LLM_STALLED', to: 'backup' };
    const down = { from: 'backup', reason: 'LLM_SERVER_ERROR 503', to: 'last' };
    const beat = (offset: number, tail: string, fallbacks?: (typeof stalled)[]): StreamBeat => ({ kind: 'llm-stream', attempt: 1, call: 1, offset, tail, ...(fallbacks ? { fallbacks } : {}) });
    const printed = [
      f.next('a1', beat(0, '{"title": "Sup')),
      f.next('a1', beat(0, '{"ti', [stalled])),
      f.next('a1', beat(0, '{"ti', [stalled])), // polled again
      f.next('a1', beat(0, '{"title": "Support"}', [stalled])),
      f.next('a1', beat(0, '{"title": "Sup')), // a stale heartbeat of the provider that stopped
      f.next('a1', beat(2, 'ok', [stalled, down])), // two switches since: both said; text beyond the tail marked skipped
    ];
    expect(printed).toEqual([
      '{"title": "Sup',
      '\n--- primary stopped (LLM_STALLED); backup answers ---\n{"ti',
      '',
      'tle": "Support"}',
      '',
      '\n--- backup stopped (LLM_SERVER_ERROR 503); last answers ---\n[… 2 characters]ok',
    ]);
    // Watching from the middle: the switch is said first, then the answering provider's text.
    expect(new StreamFollower().next('a2', beat(0, 'Hi', [stalled]))).toBe('--- primary stopped (LLM_STALLED); backup answers ---\nHi');
  });
});
