import { z } from 'zod';
import { classifyLlmError, isRetryableStatus, parseRetryAfter } from '../../src/llm/errors';
import { chatStructured, extractJson } from '../../src/llm/structured';
import type { ChatModel, ChatRequest } from '../../src/llm/gateway';

const headers = (h: Record<string, string>) => ({ get: (k: string) => h[k.toLowerCase()] ?? null });

describe('error classification', () => {
  test.each([
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [422, false],
    [408, true],
    [409, true],
    [429, true],
    [500, true],
    [503, true],
  ])('status %i retryable=%s', (status, retryable) => {
    expect(isRetryableStatus(status)).toBe(retryable);
    expect(classifyLlmError({ status, message: 'x', headers: headers({}) }).retryable).toBe(retryable);
  });

  test('Retry-After in seconds, milliseconds and as a date', () => {
    expect(parseRetryAfter(headers({ 'retry-after': '7' }))).toBe(7000);
    expect(parseRetryAfter(headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now)).toBe(3000);
    expect(parseRetryAfter(headers({}))).toBeUndefined();
  });

  test('codes and hints are stable', () => {
    const e = classifyLlmError({ status: 401, message: 'bad key', headers: headers({}) });
    expect(e.code).toBe('LLM_UNAUTHORIZED');
    expect(e.message).toMatch(/check OPENAI_API_KEY/);
    expect(classifyLlmError({ status: 429, message: 'slow', headers: headers({ 'retry-after': '2' }) }).retryAfterMs).toBe(2000);
    expect(classifyLlmError(Object.assign(new Error('t'), { name: 'APIConnectionTimeoutError' })).code).toBe('LLM_TIMEOUT');
    expect(classifyLlmError(new Error('ECONNREFUSED')).code).toBe('LLM_CONNECTION');
  });
});

describe('extractJson', () => {
  test('plain, fenced, and wrapped in prose', () => {
    expect(extractJson('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(extractJson('Here:\n```json\n{"a":2}\n```\nbye')).toEqual({ ok: true, value: { a: 2 } });
    expect(extractJson('Sure thing {"a":3} hope it helps')).toEqual({ ok: true, value: { a: 3 } });
  });
  test('garbage is reported, not thrown', () => {
    const r = extractJson('no json here');
    expect(r.ok).toBe(false);
  });
});

describe('chatStructured', () => {
  const schema = z.object({ name: z.string().min(2) });
  const scripted = (answers: string[]): ChatModel & { seen: ChatRequest[] } => {
    const seen: ChatRequest[] = [];
    return {
      seen,
      async chat(req) {
        seen.push(req);
        return { content: answers.shift() ?? '', toolCalls: [], model: 'm', finishReason: 'stop', usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 }, latencyMs: 1 };
      },
    };
  };

  test('a schema violation gets one repair request naming the field', async () => {
    const model = scripted(['{"name": 1}', '{"name": "ok"}']);
    const r = await chatStructured(model, { messages: [{ role: 'user', content: 'hi' }], schemaName: 't', jsonSchema: {} }, schema);
    expect(r).toMatchObject({ value: { name: 'ok' }, calls: 2, repaired: true, usage: { totalTokens: 30 } });
    expect(model.seen[1]!.messages.at(-1)!.content).toMatch(/name:/);
  });

  test('the extra check is part of validity', async () => {
    const model = scripted(['{"name": "TBD"}', '{"name": "TBD"}']);
    await expect(
      chatStructured(model, { messages: [], schemaName: 't', jsonSchema: {} }, schema, (v) => (v.name === 'TBD' ? ['name is a placeholder'] : [])),
    ).rejects.toMatchObject({ code: 'LLM_MALFORMED_OUTPUT', message: expect.stringMatching(/placeholder/) });
  });
});
