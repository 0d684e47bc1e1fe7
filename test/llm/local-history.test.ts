import { toHistory } from '../../src/llm/local/local-chat';

/** How the agent's conversation becomes node-llama-cpp chat history for the local model. */

const call = (id: string, name: string, args: object) => ({ id, name, arguments: JSON.stringify(args) });
const resultsOf = (items: ReturnType<typeof toHistory>): unknown[][] =>
  items.filter((h) => h.type === 'model').map((h) => (h.response as { type?: string; result?: unknown }[]).filter((r) => r.type === 'functionCall').map((r) => r.result));

test("each turn's tool results join that turn's calls, even when ids repeat from turn to turn", () => {
  const history = toHistory([
    { role: 'system', content: 'You build.' },
    { role: 'user', content: 'Add shout().' },
    { role: 'assistant', content: '', toolCalls: [call('call_0', 'list_files', {})] },
    { role: 'tool', toolCallId: 'call_0', content: 'src/greet.js' },
    { role: 'assistant', content: '', toolCalls: [call('call_0', 'read_file', { path: 'src/greet.js' }), call('call_1', 'read_file', { path: 'README.md' })] },
    { role: 'tool', toolCallId: 'call_1', content: '# tinyrepo' }, // answered out of order: matched by id
    { role: 'tool', toolCallId: 'call_0', content: 'function greet() {}' },
    { role: 'assistant', content: 'Now the edit.', toolCalls: [call('call_x', 'write_file', { path: 'a.js' })] },
    { role: 'tool', toolCallId: 'call_y', content: 'Applied.' }, // an id that matches nothing: the next result in order
  ]);
  expect(resultsOf(history)).toEqual([['src/greet.js'], ['function greet() {}', '# tinyrepo'], ['Applied.'], []]);
  expect(history.map((h) => h.type)).toEqual(['system', 'user', 'model', 'model', 'model', 'model']);
});
