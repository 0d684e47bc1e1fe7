import { LlmGateway, type ChatMessage, type ToolDefinition } from '../../src/llm/gateway';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';

const readFile: ToolDefinition = {
  name: 'read_file',
  description: 'Read a file of the workspace',
  parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false },
};

describe('tool calling through the gateway (OpenAI wire protocol)', () => {
  let llm: ScriptedLlm;
  beforeAll(async () => {
    llm = await startScriptedLlm();
  });
  afterAll(() => llm.close());

  test.each([true, false])('stream=%s: tool calls come back whole, and tool results go out as tool messages', async (stream) => {
    const gateway = new LlmGateway({ baseURL: llm.url, apiKey: 'sk-test-not-a-secret', model: 'scripted-model', timeoutMs: 10_000, stream });
    const longArgs = { path: `src/${'deep/'.repeat(20)}index.ts` };
    llm.enqueue({ content: '', toolCalls: [{ id: 'call_a', name: 'read_file', arguments: longArgs }, { name: 'read_file', arguments: '{"path":"b.ts"}' }] });
    const first = await gateway.chat({ messages: [{ role: 'user', content: 'look around' }], tools: [readFile], toolChoice: 'auto' });
    expect(first.finishReason).toBe('tool_calls');
    expect(first.toolCalls).toHaveLength(2);
    expect(first.toolCalls[0]).toEqual({ id: 'call_a', name: 'read_file', arguments: JSON.stringify(longArgs) });
    expect(JSON.parse(first.toolCalls[1]!.arguments)).toEqual({ path: 'b.ts' });
    expect(first.toolCalls[1]!.id).toMatch(/^call_/);

    const sent = llm.requests[llm.requests.length - 1]!;
    expect(sent.tools?.map((t) => t.function.name)).toEqual(['read_file']);
    expect(sent.tool_choice).toBe('auto');

    llm.enqueue({ content: 'done' });
    const history: ChatMessage[] = [
      { role: 'user', content: 'look around' },
      { role: 'assistant', content: '', toolCalls: first.toolCalls },
      { role: 'tool', toolCallId: 'call_a', content: 'export const a = 1;' },
      { role: 'tool', toolCallId: first.toolCalls[1]!.id, content: 'export const b = 2;' },
    ];
    const second = await gateway.chat({ messages: history, tools: [readFile] });
    expect(second.content).toBe('done');
    expect(second.toolCalls).toEqual([]);
    const wire = llm.requests[llm.requests.length - 1]!.messages;
    expect(wire[1]).toMatchObject({ role: 'assistant', content: null, tool_calls: [{ id: 'call_a', function: { name: 'read_file' } }, {}] });
    expect(wire[2]).toEqual({ role: 'tool', tool_call_id: 'call_a', content: 'export const a = 1;' });
  });

  test('no tools: no tools or tool_choice on the wire', async () => {
    const gateway = new LlmGateway({ baseURL: llm.url, apiKey: 'sk-test-not-a-secret', model: 'scripted-model', timeoutMs: 10_000, stream: true });
    llm.enqueue({ content: 'plain' });
    const res = await gateway.chat({ messages: [{ role: 'user', content: 'hi' }] });
    expect(res.content).toBe('plain');
    const sent = llm.requests[llm.requests.length - 1]!;
    expect('tools' in sent).toBe(false);
    expect('tool_choice' in sent).toBe(false);
  });
});
