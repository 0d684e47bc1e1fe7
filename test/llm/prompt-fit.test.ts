import type { ChatHistoryItem } from 'node-llama-cpp';
import { providerLine } from '../../src/contracts/llm';
import { promptFit } from '../../src/llm/local/local-chat';

/** A stand-in for the loaded model: one token per word, a 100-token context. */
const m = {
  model: { tokenize: (text: string) => text.split(/\s+/).filter(Boolean) },
  context: { contextSize: 100 },
} as unknown as Parameters<typeof promptFit>[0];

const history = (words: number): ChatHistoryItem[] => [
  { type: 'system', text: 'be brief' },
  { type: 'user', text: 'word '.repeat(words) },
  { type: 'model', response: ['an earlier answer'] },
];

test('a prompt and answer that fit the context get no note', () => {
  expect(promptFit(m, history(50), 40)).toEqual({ promptTokens: 55, contextSize: 100 });
});

test('a prompt that (with its answer budget) exceeds the local context is said, with the sizes, and reaches the provider line', () => {
  const fit = promptFit(m, history(2000), 64);
  expect(fit.promptTokens).toBe(2005);
  expect(fit.note).toBe(
    "prompt of about 2,005 tokens plus 64 for the answer exceeds the local model's 100-token context: it cannot read all of the prompt while it answers (use a model with a larger context for this work)",
  );
  expect(promptFit(m, history(80), 40).note).toMatch(/^prompt of about 85 tokens plus 40 for the answer exceeds/);
  const line = providerLine({ purpose: 'plan', name: 'local', model: 'local:smol', skipped: [], note: fit.note });
  expect(line).toBe(`plan → local (local:smol); ${fit.note}`);
});
