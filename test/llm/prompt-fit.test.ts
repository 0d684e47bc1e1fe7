import { providerLine } from '../../src/contracts/llm';
import { promptFit } from '../../src/llm/local/local-chat';

test('a prompt and answer that fit the context get no note and the answer budget asked for', () => {
  expect(promptFit(2000, 55, 40)).toEqual({ promptTokens: 55, contextSize: 2000, answerTokens: 40 });
});

test('an answer budget larger than the room the prompt leaves is cut to that room (32 tokens kept free), and said', () => {
  const fit = promptFit(2000, 1505, 600);
  expect(fit).toMatchObject({ promptTokens: 1505, answerTokens: 2000 - 1505 - 32 });
  expect(fit.note).toBe("answer limited to 463 tokens (of 600) to fit beside a prompt of 1,505 tokens in the local model's 2,000-token context");
  const line = providerLine({ purpose: 'agent', name: 'local', model: 'local:smol', skipped: [], note: fit.note });
  expect(line).toBe(`agent → local (local:smol); ${fit.note}`);
});

test('a prompt that leaves less than 128 tokens gets no answer budget (the call fails at once) and says why', () => {
  expect(promptFit(2000, 1840, 600)).toMatchObject({ answerTokens: 128 }); // exactly the least room: still answers
  const full = promptFit(2000, 1841, 600);
  expect(full.answerTokens).toBe(0);
  expect(full.note).toBe("a prompt of 1,841 tokens leaves no room for an answer in the local model's 2,000-token context (use a model with a larger context for this work)");
  expect(promptFit(2000, 3005, undefined).answerTokens).toBe(0);
});
