/**
 * How many tokens a model reads at once: configured (AIML_CONTEXT_TOKENS, or a provider's
 * `contextTokens`), the in-process local model's own window, or known per model name.
 */

/** The context the in-process local model is created with (SmolLM2 was trained on 8,192 tokens). */
export const LOCAL_CONTEXT_TOKENS = 8_192;

/** Context windows of common models, by name prefix (longest prefix wins); tokens. */
const WINDOWS: [string, number][] = [
  ['gpt-4.1', 1_000_000],
  ['gpt-4o', 128_000],
  ['gpt-4-turbo', 128_000],
  ['gpt-4', 8_192],
  ['gpt-3.5', 16_385],
  ['o1', 200_000],
  ['o3', 200_000],
  ['o4', 200_000],
  ['claude', 200_000],
  ['llama-3', 128_000],
  ['qwen2.5', 32_768],
  ['mistral', 32_768],
];
const DEFAULT_WINDOW = 32_768;

/** The context window of `model`, in tokens; `override` (configuration, or the local model's window) wins. */
export function contextWindow(model: string, override?: number): number {
  if (override && override > 0) return override;
  const name = model.toLowerCase().replace(/^.*\//, '');
  let best: [string, number] | undefined;
  for (const w of WINDOWS) if (name.startsWith(w[0]) && (!best || w[0].length > best[0].length)) best = w;
  return best?.[1] ?? DEFAULT_WINDOW;
}

/** The window a provider's settings fix, when they fix one: configured, or the local model's. */
export function configuredWindow(llm: { provider?: 'openai' | 'local'; contextTokens?: number }): number | undefined {
  return llm.contextTokens ?? (llm.provider === 'local' ? LOCAL_CONTEXT_TOKENS : undefined);
}
