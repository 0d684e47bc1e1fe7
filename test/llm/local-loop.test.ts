import type { LlmConfig } from '../../src/config';
import { LocalChatModel } from '../../src/llm/local/local-chat';

/**
 * The loop stop inside the local provider, with node-llama-cpp's chat replaced by a generator that
 * streams a looping answer piece by piece (the real model cannot be made to loop on demand).
 */
const INTRO = 'I will add the function first:';
const BLOCK = '\n### Step\n\n- Delete 348\n\n- Test\n\n- Finish\n\n# Policy\nread tools run freely; edits are applied without a gate.\n';
const PIECES = 200;

function fakeModel(): { model: LocalChatModel; emitted: () => number } {
  let emitted = 0;
  class FakeChat {
    readonly chatWrapper = { generateContextState: () => ({ contextText: { tokenize: () => new Array(50) } }) };
    async generateResponse(_history: unknown, opts: { signal?: AbortSignal; onTextChunk?: (t: string) => void; onToken?: (t: number[]) => void }) {
      const text = INTRO + BLOCK.repeat(40);
      const size = Math.ceil(text.length / PIECES);
      for (let i = 0; i < PIECES; i++) {
        // As node-llama-cpp does with stopOnAbortSignal false: an abort between two tokens throws.
        if (opts.signal?.aborted) throw new Error('The operation was aborted');
        opts.onToken?.([1]);
        opts.onTextChunk?.(text.slice(i * size, (i + 1) * size));
        emitted += 1;
        await new Promise((r) => setImmediate(r));
      }
      return { response: text, functionCalls: undefined, metadata: { stopReason: 'maxTokens' } };
    }
    dispose(): void {}
  }
  const config = { provider: 'local', apiKey: 'none', model: 'local', timeoutMs: 10_000, stream: true } as unknown as LlmConfig;
  const model = new LocalChatModel(config);
  const loaded = {
    lib: { LlamaChat: FakeChat },
    llama: { createGrammarForJsonSchema: async () => ({}) },
    model: { tokenizer: {} },
    context: { contextSize: 8192 },
    sequence: { tokenMeter: { usedInputTokens: 0, usedOutputTokens: 0 } },
  };
  model.load = () => Promise.resolve(loaded as never);
  return { model, emitted: () => emitted };
}

test('free text that loops stops generating early and keeps the block once, with a note', async () => {
  const { model, emitted } = fakeModel();
  const streamed: string[] = [];
  const res = await model.chat({ messages: [{ role: 'user', content: 'plan it' }], maxTokens: 2000, onText: (t) => streamed.push(t) });
  expect(res.content).toBe(INTRO + BLOCK);
  expect(res.finishReason).toBe('length');
  expect(res.note).toMatch(/the answer was repeating one block; kept up to its first copy \(\d+ characters\)/);
  expect(emitted()).toBeLessThan(PIECES / 4); // stopped soon after the third copy, not at the token limit
  expect(streamed.join('').startsWith(INTRO + BLOCK + BLOCK)).toBe(true); // what was streamed stays streamed
});

test('a grammar-bound (JSON) answer is never cut: a cut would break its JSON', async () => {
  const { model, emitted } = fakeModel();
  const res = await model.chat({ messages: [{ role: 'user', content: 'plan it' }], maxTokens: 2000, jsonSchema: { name: 'x', schema: { type: 'object' } } });
  expect(emitted()).toBe(PIECES);
  expect(res.content).toBe(INTRO + BLOCK.repeat(40));
  expect(res.note).toBeUndefined();
});
