import type { ChatHistoryItem } from 'node-llama-cpp';
import { providerLine } from '../../src/contracts/llm';
import { promptFit } from '../../src/llm/local/local-chat';

/** A stand-in for the loaded model: one token per word, a 2,000-token context. */
const m = {
  model: { tokenize: (text: string) => text.split(/\s+/).filter(Boolean) },
  context: { contextSize: 2000 },
} as unknown as Parameters<typeof promptFit>[0];

const history = (words: number): ChatHistoryItem[] => [
  { type: 'system', text: 'be brief' },
  { type: 'user', text: 'word '.repeat(words) },
  { type: 'model', response: ['an earlier answer'] },
];

test('a prompt and answer that fit the context get no note and the answer budget asked for; tool definitions count as prompt', () => {
  expect(promptFit(m, history(50), 40)).toEqual({ promptTokens: 55, contextSize: 2000, answerTokens: 40 });
  expect(promptFit(m, history(50), 40, 'read_file grep search_code')).toMatchObject({ promptTokens: 58, answerTokens: 40 });
});

test('an answer budget larger than the room the prompt leaves is cut to that room (64 tokens kept for the chat template), and said', () => {
  const fit = promptFit(m, history(1500), 600);
  expect(fit).toMatchObject({ promptTokens: 1505, answerTokens: 2000 - 1505 - 64 });
  expect(fit.note).toBe("answer limited to 431 tokens (of 600) to fit beside a prompt of about 1,505 tokens in the local model's 2,000-token context");
});

test('a prompt that leaves no room is said, with the sizes, keeps a 256-token answer, and reaches the provider line', () => {
  const fit = promptFit(m, history(3000), 600);
  expect(fit).toMatchObject({ promptTokens: 3005, answerTokens: 256 });
  expect(fit.note).toBe(
    "prompt of about 3,005 tokens plus 256 for the answer exceeds the local model's 2,000-token context: it cannot read all of the prompt while it answers (use a model with a larger context for this work)",
  );
  expect(promptFit(m, history(1800), 40).note).toMatch(/^prompt of about 1,805 tokens plus 40 for the answer exceeds/);
  const line = providerLine({ purpose: 'plan', name: 'local', model: 'local:smol', skipped: [], note: fit.note });
  expect(line).toBe(`plan → local (local:smol); ${fit.note}`);
});
