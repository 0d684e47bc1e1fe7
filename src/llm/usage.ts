import type { ChatMessage, ChatRequest, ChatResponse } from './gateway';
import { costUsd, priceOf, type PriceTable } from './prices';

/**
 * Tokens of a text when the provider reports none: ~4 characters a token for English and code
 * (the ratio OpenAI gives for its tokenizers), never below one for a non-empty text.
 */
export function countTokens(text: string): number {
  return text ? Math.max(1, Math.ceil(text.length / 4)) : 0;
}

/** Rough prompt size: each message's text, tool calls and a few tokens of framing per message. */
function promptTokens(messages: ChatMessage[], req: ChatRequest): number {
  let n = 0;
  for (const m of messages) {
    n += 4 + countTokens(m.content);
    if (m.role === 'assistant') for (const c of m.toolCalls ?? []) n += countTokens(c.name) + countTokens(c.arguments);
  }
  if (req.jsonSchema) n += countTokens(JSON.stringify(req.jsonSchema.schema)) + countTokens(req.jsonSchema.limitsNote ?? '');
  for (const t of req.tools ?? []) n += countTokens(t.name) + countTokens(t.description) + countTokens(JSON.stringify(t.parameters));
  return n;
}

/**
 * The response with usage a run can add up: the provider's own counts, or (when it sent none, as
 * some OpenAI-compatible servers do when streaming) counted here and marked `estimated`; and its
 * cost from the price table (`costUsd` absent when the model has no price).
 */
export function withUsageAndCost(req: ChatRequest, res: ChatResponse, prices: PriceTable, provider: string): ChatResponse {
  let usage = res.usage;
  if (usage.promptTokens === 0 && usage.completionTokens === 0) {
    const completion = countTokens(res.content) + res.toolCalls.reduce((n, c) => n + countTokens(c.name) + countTokens(c.arguments), 0);
    const prompt = promptTokens(req.messages, req);
    usage = { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion, estimated: true };
  }
  const price = priceOf(prices, provider, res.model);
  return { ...res, usage: price ? { ...usage, costUsd: costUsd(price, usage.promptTokens, usage.completionTokens) } : { ...usage, unpriced: true } };
}
