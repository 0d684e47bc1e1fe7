import fs from 'node:fs';
import { AimlError } from '../errors';

/** What a model costs, in US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/**
 * Prices by model name (`gpt-4o-mini`) or by provider and model (`openai/gpt-4o-mini`). A model is
 * priced by its exact key, else by the longest key it starts with (`gpt-4o-mini-2024-07-18` →
 * `gpt-4o-mini`); of two keys as long, the provider-qualified one.
 */
export type PriceTable = Record<string, ModelPrice>;

/**
 * List prices of common OpenAI models (USD per 1M tokens, standard tier, as published in 2025).
 * Anything else is priced by the user (AIML_PRICES / AIML_PRICES_FILE); the in-process local
 * model always costs 0.
 */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'o3-mini': { input: 1.1, output: 4.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
};

/** The price of `model` served by `provider`, or undefined when the table has none. The local provider is free. */
export function priceOf(table: PriceTable, provider: string, model: string): ModelPrice | undefined {
  if (provider === 'local') return { input: 0, output: 0 };
  const found = Object.entries(table).flatMap(([key, price]) => {
    const qualified = key.startsWith(`${provider}/`);
    const bare = qualified ? key.slice(provider.length + 1) : key;
    return model.startsWith(bare) ? [{ length: bare.length, qualified, price }] : [];
  });
  // The longest match wins; between two of the same length, the provider's own.
  found.sort((a, b) => b.length - a.length || Number(b.qualified) - Number(a.qualified));
  return found[0]?.price;
}

/** Dollars for a call's tokens at `price`, rounded to a millionth of a cent. */
export function costUsd(price: ModelPrice, promptTokens: number, completionTokens: number): number {
  return Math.round(((promptTokens * price.input + completionTokens * price.output) / 1e6) * 1e8) / 1e8;
}

const invalid = (variable: string, why: string): AimlError => new AimlError('CONFIG_INVALID', `Invalid ${variable}: ${why}`, { variable });

function checkedPrice(variable: string, key: string, input: unknown, output: unknown): ModelPrice {
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 10_000;
  if (!key.trim()) throw invalid(variable, 'a model name is empty');
  if (!ok(input) || !ok(output)) throw invalid(variable, `"${key}" needs input and output prices in USD per 1M tokens (numbers from 0 to 10000)`);
  return { input, output };
}

/** `AIML_PRICES="my-model=0.2/0.8,openai/gpt-4o=2.5/10"`: input/output USD per 1M tokens. */
export function parsePriceList(value: string, variable = 'AIML_PRICES'): PriceTable {
  const table: PriceTable = {};
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*([^/\s]+)\s*\/\s*([^/\s]+)$/.exec(part);
    if (!m) throw invalid(variable, `"${part}" is not <model>=<input>/<output> (USD per 1M tokens, e.g. gpt-4o=2.5/10)`);
    table[m[1]!] = checkedPrice(variable, m[1]!, Number(m[2]), Number(m[3]));
  }
  return table;
}

/** A JSON file `{ "<model>": { "input": 2.5, "output": 10 } }`. */
export function readPriceFile(file: string, variable = 'AIML_PRICES_FILE'): PriceTable {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw invalid(variable, `cannot read ${file} as JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(variable, `${file} must hold one JSON object of model → {input, output}`);
  const table: PriceTable = {};
  for (const [key, v] of Object.entries(raw)) {
    const p = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    table[key] = checkedPrice(variable, key, p.input, p.output);
  }
  return table;
}

/** The defaults, overridden by the file, overridden by the inline list. */
export function loadPriceTable(env: { AIML_PRICES?: string; AIML_PRICES_FILE?: string }): PriceTable {
  return {
    ...DEFAULT_PRICES,
    ...(env.AIML_PRICES_FILE ? readPriceFile(env.AIML_PRICES_FILE) : {}),
    ...(env.AIML_PRICES ? parsePriceList(env.AIML_PRICES) : {}),
  };
}
