import { z } from 'zod';
import { architectureJsonSchema } from '../../src/design/architecture';
import { buildPlanJsonSchema, stepEditsJsonSchema } from '../../src/builder/schemas';
import { LlmError } from '../../src/llm/errors';
import { LlmGateway, type ChatModel, type ChatRequest } from '../../src/llm/gateway';
import { unboundedParts } from '../../src/llm/limits';
import { forgetResponseModes } from '../../src/llm/openai-chat';
import { chatStructured } from '../../src/llm/structured';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';

const Answer = z.object({ answer: z.string().max(50) });
const ANSWER_SCHEMA = {
  type: 'object',
  properties: { answer: { type: 'string', maxLength: 50 } },
  required: ['answer'],
  additionalProperties: false,
};

let llm: ScriptedLlm;
beforeAll(async () => {
  llm = await startScriptedLlm();
});
afterAll(() => llm.close());
beforeEach(() => {
  forgetResponseModes();
  llm.rejectJsonSchema(false);
});

const gateway = (extra: Partial<ConstructorParameters<typeof LlmGateway>[0]> = {}): LlmGateway =>
  new LlmGateway({ baseURL: llm.url, apiKey: 'sk-test-not-a-secret', model: 'scripted', timeoutMs: 10_000, idleTimeoutMs: 5_000, stream: true, ...extra });

async function failure(p: Promise<unknown>): Promise<LlmError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LlmError);
  return err as LlmError;
}

/** Waits until the scripted server has seen `n` abandoned requests (the close travels asynchronously). */
async function abandonedAtLeast(n: number): Promise<number> {
  for (let i = 0; i < 100 && llm.abandoned < n; i++) await new Promise((r) => setTimeout(r, 20));
  return llm.abandoned;
}

describe('bounded generation against the scripted server', () => {
  test('every call carries max_tokens from its purpose; AIML_MAX_TOKENS-style overrides win', async () => {
    llm.enqueue({ content: 'a' }, { content: 'b' }, { content: 'c' });
    const g = gateway({ maxTokens: { design: 1234 } });
    await g.chat({ messages: [{ role: 'user', content: 'x' }], purpose: 'design' });
    await g.chat({ messages: [{ role: 'user', content: 'x' }], purpose: 'rerank' });
    await g.chat({ messages: [{ role: 'user', content: 'x' }] });
    expect(llm.requests.slice(-3).map((r) => r.max_tokens)).toEqual([1234, 512, 2048]);
  });

  test('a stream that never ends is cut at the total timeout, and the server sees the connection close', async () => {
    const before = llm.abandoned;
    llm.enqueue({ content: 'start', hang: 'endless' });
    const started = Date.now();
    const err = await failure(gateway({ timeoutMs: 1_500, idleTimeoutMs: 1_000 }).chat({ messages: [{ role: 'user', content: 'go' }] }));
    expect(err.code).toBe('LLM_TIMEOUT');
    expect(err.message).toMatch(/1500 ms \(AIML_LLM_TIMEOUT_MS\)/);
    expect(err.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await abandonedAtLeast(before + 1)).toBe(before + 1);
  });

  test('a stream that stalls fails at the idle timeout, long before the total one, and is aborted', async () => {
    const before = llm.abandoned;
    llm.enqueue({ content: 'a little', hang: 'stall' });
    const started = Date.now();
    const err = await failure(gateway({ timeoutMs: 60_000, idleTimeoutMs: 800 }).chat({ messages: [{ role: 'user', content: 'go' }] }));
    expect(err.code).toBe('LLM_STALLED');
    expect(err.message).toMatch(/nothing arrived for 800 ms/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await abandonedAtLeast(before + 1)).toBe(before + 1);
  });

  test('cancelling aborts the HTTP request', async () => {
    const before = llm.abandoned;
    llm.enqueue({ content: 'start', hang: 'endless' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const err = await failure(gateway().chat({ messages: [{ role: 'user', content: 'go' }], signal: controller.signal }));
    expect(err.code).toBe('LLM_ABORTED');
    expect(await abandonedAtLeast(before + 1)).toBe(before + 1);
  });

  test('an answer cut at finish_reason "length" gets one request for a shorter answer, which can succeed', async () => {
    llm.enqueue({ content: '{"answer": "a very long', finishReason: 'length' }, { content: '{"answer": "short"}' });
    const res = await chatStructured(gateway({ maxTokens: { other: 40 } }), { messages: [{ role: 'user', content: 'q' }], schemaName: 'answer', jsonSchema: ANSWER_SCHEMA }, Answer);
    expect(res.value).toEqual({ answer: 'short' });
    expect(res.calls).toBe(2);
    const repair = llm.requests[llm.requests.length - 1]!.messages.at(-1)!;
    expect(repair.role).toBe('user');
    expect(repair.content).toMatch(/cut off at the limit of 40 output tokens.*much shorter JSON/s);
  });

  test('cut at "length" twice: a non-retryable failure that names the limit', async () => {
    llm.enqueue({ content: '{"answer": "long', finishReason: 'length' }, { content: '{"answer": "still long', finishReason: 'length' });
    const err = await failure(
      chatStructured(gateway({ maxTokens: { design: 64 } }), { messages: [{ role: 'user', content: 'q' }], schemaName: 'answer', jsonSchema: ANSWER_SCHEMA, purpose: 'design' }, Answer),
    );
    expect(err.code).toBe('LLM_OUTPUT_TOO_LONG');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/ran out of tokens.*64 output tokens.*AIML_MAX_TOKENS/);
  });

  test('the prompt states the schema limits and the token budget', async () => {
    llm.enqueue({ content: '{"answer": "ok"}' });
    await chatStructured(gateway(), { messages: [{ role: 'system', content: 'Be useful.' }, { role: 'user', content: 'q' }], schemaName: 'answer', jsonSchema: ANSWER_SCHEMA }, Answer);
    const system = llm.requests[llm.requests.length - 1]!.messages[0]!.content!;
    expect(system).toMatch(/^Be useful\.\n\nSize limits/);
    expect(system).toMatch(/fit in 2048 tokens/);
    expect(system).toMatch(/answer: at most 50 characters/);
  });

  test('the limits travel with the schema, for the provider to say: a model held to the schema by a grammar is not shown them', async () => {
    const seen: ChatRequest[] = [];
    const grammarHeld: ChatModel = {
      chat: async (req) => {
        seen.push(req);
        return { content: '{"answer": "ok"}', toolCalls: [], model: 'grammar', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 }, latencyMs: 1 };
      },
    };
    await chatStructured(grammarHeld, { messages: [{ role: 'system', content: 'Be useful.' }, { role: 'user', content: 'q' }], schemaName: 'answer', jsonSchema: ANSWER_SCHEMA, maxTokens: 300 }, Answer);
    expect(seen[0]!.messages).toEqual([{ role: 'system', content: 'Be useful.' }, { role: 'user', content: 'q' }]);
    expect(seen[0]!.jsonSchema!.limitsNote).toMatch(/^Size limits .*fit in 300 tokens.*\n- answer: at most 50 characters$/s);
  });

  test('a server that rejects json_schema: JSON mode with the schema in the prompt, remembered for the endpoint', async () => {
    llm.rejectJsonSchema(true);
    llm.enqueue({ content: '{"answer": "from json mode"}' }, { content: '{"answer": "again"}' });
    const g = gateway();
    const first = await chatStructured(g, { messages: [{ role: 'user', content: 'q' }], schemaName: 'answer', jsonSchema: ANSWER_SCHEMA }, Answer);
    expect(first.value.answer).toBe('from json mode');
    const [refused, fallback] = llm.requests.slice(-2);
    expect(refused!.response_format?.type).toBe('json_schema');
    expect(fallback!.response_format?.type).toBe('json_object');
    expect(fallback!.messages[0]!.content).toContain('"maxLength":50');
    const count = llm.requests.length;
    // A second gateway on the same endpoint asks in JSON mode straight away: no refused request.
    const second = await chatStructured(gateway(), { messages: [{ role: 'user', content: 'q' }], schemaName: 'answer', jsonSchema: ANSWER_SCHEMA }, Answer);
    expect(second.value.answer).toBe('again');
    expect(llm.requests.length).toBe(count + 1);
    expect(llm.requests[count]!.response_format?.type).toBe('json_object');
  });

  test('a server that refuses tool_choice "required" gets the request again with "auto", and "auto" from then on; other 400s still fail', async () => {
    const tools = [{ name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } }];
    const ask = (g: LlmGateway) => g.chat({ messages: [{ role: 'user', content: 'q' }], tools, toolChoice: 'required' });
    llm.enqueue({ status: 400, error: "tool_choice 'required' is not supported" }, { content: '', toolCalls: [{ name: 'read_file', arguments: { path: 'a' } }] });
    const before = llm.requests.length;
    const res = await ask(gateway());
    expect(res.toolCalls[0]!.name).toBe('read_file');
    expect(llm.requests.slice(before).map((r) => r.tool_choice)).toEqual(['required', 'auto']);
    llm.enqueue({ content: 'words' });
    await ask(gateway()); // a new gateway, same endpoint: "auto" at once
    expect(llm.requests.at(-1)!.tool_choice).toBe('auto');
    forgetResponseModes();
    llm.enqueue({ status: 400, error: 'messages: too many' });
    const err = await failure(ask(gateway()));
    expect(err.code).toBe('LLM_BAD_REQUEST');
    expect(llm.requests.at(-1)!.tool_choice).toBe('required');
  });

  test('a server that ignores json_schema is detected from its answers: repairs go in JSON mode, and after twice JSON mode stays', async () => {
    const g = gateway({ stream: false });
    const ask = () => chatStructured(g, { messages: [{ role: 'user', content: 'q' }], schemaName: 'answer', jsonSchema: ANSWER_SCHEMA }, Answer);
    llm.enqueue({ content: 'Sure! The answer is: short.' }, { content: '{"answer": "short"}' });
    expect((await ask()).value.answer).toBe('short');
    const repair = llm.requests.at(-1)!;
    expect(repair.response_format?.type).toBe('json_object');
    expect(repair.messages[0]!.content).toContain('"answer"'); // the schema travels in the prompt
    expect(repair.messages.at(-1)!.content).toMatch(/not valid for the required JSON schema/);
    llm.enqueue({ content: '{"reply": "wrong keys"}' }, { content: '{"answer": "again"}' });
    expect((await ask()).value.answer).toBe('again');
    llm.enqueue({ content: '{"answer": "direct"}' });
    const count = llm.requests.length;
    expect((await ask()).value.answer).toBe('direct');
    expect(llm.requests.length).toBe(count + 1);
    expect(llm.requests.slice(-5).map((r) => r.response_format?.type)).toEqual(['json_schema', 'json_object', 'json_schema', 'json_object', 'json_object']);
  });

  test('one bad answer from a server that honours json_schema changes nothing for the next calls', async () => {
    const g = gateway({ stream: false });
    llm.enqueue({ content: 'prose' }, { content: '{"answer": "fixed"}' }, { content: '{"answer": "next"}' });
    await chatStructured(g, { messages: [{ role: 'user', content: 'q' }], schemaName: 'answer', jsonSchema: ANSWER_SCHEMA }, Answer);
    await chatStructured(g, { messages: [{ role: 'user', content: 'q' }], schemaName: 'answer', jsonSchema: ANSWER_SCHEMA }, Answer);
    expect(llm.requests.slice(-3).map((r) => r.response_format?.type)).toEqual(['json_schema', 'json_object', 'json_schema']);
  });

  test('a server that ignores stream: true and answers in one JSON body: its answer is read whole, text, tool calls and usage', async () => {
    llm.enqueue({ content: 'the whole answer', noStream: true }, { content: '', toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' } }], noStream: true });
    const g = gateway();
    const pieces: string[] = [];
    const res = await g.chat({ messages: [{ role: 'user', content: 'x' }], onText: (d) => pieces.push(d) });
    expect(llm.requests.at(-1)?.stream).toBe(true); // it was asked to stream
    expect(res).toMatchObject({ content: 'the whole answer', finishReason: 'stop' });
    expect(res.usage.totalTokens).toBe(llm.usages.at(-1)!.total_tokens);
    expect(res.usage.totalTokens).toBeGreaterThan(0);
    expect(pieces).toEqual(['the whole answer']); // watch still sees the text
    const call = await g.chat({ messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'read_file', description: 'd', parameters: { type: 'object' } }] });
    expect(call.toolCalls).toEqual([{ id: expect.any(String), name: 'read_file', arguments: '{"path":"a.ts"}' }]);
  });

  test('every schema sent as a structured output bounds its strings and arrays', () => {
    for (const schema of [architectureJsonSchema(), buildPlanJsonSchema(), stepEditsJsonSchema()]) expect(unboundedParts(schema)).toEqual([]);
    expect(unboundedParts({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'array', items: { type: 'string', maxLength: 3 } } } })).toEqual([
      '$.a: string without maxLength',
      '$.b: array without maxItems',
    ]);
  });
});
