import type { z } from 'zod';
import { AimlError } from '../errors';
import { LlmError } from './errors';
import { limitsInstruction } from './limits';
import type { ChatMessage, ChatModel, ChatRequest, TokenUsage } from './gateway';
import type { ProviderUse } from '../contracts/llm';
import { callUsage } from '../contracts/run';
import { withSpent } from '../errors';

/** Pulls one JSON value out of a model answer: tolerates code fences and prose around it. */
export function extractJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const trimmed = text.trim();
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(trimmed);
  const candidates = [trimmed];
  if (fenced?.[1]) candidates.push(fenced[1].trim());
  const first = trimmed.indexOf('{');
  const last = trimmed.lastIndexOf('}');
  if (first >= 0 && last > first) candidates.push(trimmed.slice(first, last + 1));
  let error = 'no JSON object found';
  for (const c of candidates) {
    try {
      return { ok: true, value: JSON.parse(c) };
    } catch (err) {
      error = (err as Error).message;
    }
  }
  return { ok: false, error: `not valid JSON (${error})` };
}

/** Human-readable schema problems, at most `max` of them. */
export function describeIssues(error: z.ZodError, max = 8): string[] {
  return error.issues.slice(0, max).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

export interface StructuredResult<T> {
  value: T;
  usage: TokenUsage;
  calls: number;
  /** True when the first answer was invalid and a repair request fixed it. */
  repaired: boolean;
  /** Time spent waiting on the model, all calls together. */
  latencyMs: number;
  /** The provider of the last answer, with every provider skipped on the way. */
  provider?: ProviderUse;
}

/**
 * Asks for JSON matching `schema`. An invalid answer gets one repair request that quotes the
 * problems; a second invalid answer fails with LLM_MALFORMED_OUTPUT (never retried blindly).
 * An answer cut at the output-token limit (`finish_reason: "length"`) gets one request for a
 * shorter answer; cut again, it fails with LLM_OUTPUT_TOO_LONG, naming the limit (not retried).
 */
export async function chatStructured<T>(
  model: ChatModel,
  req: Omit<ChatRequest, 'jsonSchema'> & { schemaName: string; jsonSchema: Record<string, unknown> },
  schema: z.ZodType<T>,
  extraCheck: (value: T) => string[] = () => [],
): Promise<StructuredResult<T>> {
  const { schemaName, jsonSchema, ...rest } = req;
  const usage: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  const limitsNote = limitsInstruction(jsonSchema, model.maxTokensFor?.(req.purpose) ?? req.maxTokens);
  const base: ChatMessage[] = req.messages;
  let messages: ChatMessage[] = base;
  let lastProblems: string[] = [];
  let latencyMs = 0;
  let provider: ProviderUse | undefined;
  for (let attempt = 1; attempt <= 2; attempt++) {
    const res = await model.chat({ ...rest, messages, jsonSchema: { name: schemaName, schema: jsonSchema, ...(limitsNote ? { limitsNote } : {}) } });
    usage.promptTokens += res.usage.promptTokens;
    usage.completionTokens += res.usage.completionTokens;
    usage.totalTokens += res.usage.totalTokens;
    if (res.usage.costUsd !== undefined) usage.costUsd = (usage.costUsd ?? 0) + res.usage.costUsd;
    if (res.usage.unpriced) usage.unpriced = true;
    if (res.usage.estimated) usage.estimated = true;
    latencyMs += res.latencyMs;
    provider = mergeProvider(provider, res.provider);
    if (res.finishReason === 'length') {
      const limit = res.maxTokens ?? rest.maxTokens;
      const limitText = limit ? `the limit of ${limit} output tokens` : 'the output-token limit';
      if (attempt === 2) {
        throw withSpent(
          new LlmError(
            'LLM_OUTPUT_TOO_LONG',
            `The model ran out of tokens: its ${schemaName} answer was cut at ${limitText} twice, the second time after being asked for a shorter one. Raise AIML_MAX_TOKENS or use a model that answers more briefly.`,
            false,
          ),
          callUsage(usage, attempt, latencyMs),
        );
      }
      lastProblems = [`the answer was cut off at ${limitText}`];
      messages = [
        ...base,
        {
          role: 'user',
          content: `Your previous answer was cut off at ${limitText} before the JSON was complete. Answer again with a much shorter JSON object: fewer list items, one or two sentences per text field, well within every maxLength and maxItems of the schema.`,
        },
      ];
      continue;
    }
    const parsed = extractJson(res.content);
    if (parsed.ok) {
      const checked = schema.safeParse(parsed.value);
      if (checked.success) {
        const problems = extraCheck(checked.data);
        if (problems.length === 0) return { value: checked.data, usage, calls: attempt, repaired: attempt > 1, latencyMs, ...(provider ? { provider } : {}) };
        lastProblems = problems;
      } else {
        lastProblems = describeIssues(checked.error);
      }
    } else {
      lastProblems = [parsed.error];
    }
    messages = [
      ...base,
      { role: 'assistant', content: res.content.slice(0, 20_000) },
      {
        role: 'user',
        content: `That answer is not valid for the required JSON schema:\n- ${lastProblems.join('\n- ')}\nReturn the corrected JSON object only, with every required field.`,
      },
    ];
  }
  throw withSpent(
    new AimlError('LLM_MALFORMED_OUTPUT', `The model's answer was not valid ${schemaName} JSON after a repair attempt: ${lastProblems.join('; ')}`, {
      problems: lastProblems,
    }),
    callUsage(usage, 2, latencyMs),
  );
}

/** The later call's provider, keeping what the earlier one skipped. */
function mergeProvider(before: ProviderUse | undefined, now: ProviderUse | undefined): ProviderUse | undefined {
  if (!before || !now) return now ?? before;
  const skipped = [...before.skipped];
  for (const s of now.skipped) if (!skipped.some((k) => k.name === s.name && k.reason === s.reason)) skipped.push(s);
  return { ...now, skipped };
}
