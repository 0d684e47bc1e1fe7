import OpenAI from 'openai';
import type { LlmConfig } from '../config';
import { classifyLlmError } from './errors';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  model?: string;
  /** Ask for JSON matching this schema (OpenAI structured outputs). */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
  /** Called as streamed text arrives, with the number of characters so far. */
  onProgress?: (chars: number) => void;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface ChatResponse {
  content: string;
  model: string;
  finishReason: string | null;
  usage: TokenUsage;
  /** Request to last byte, as seen here. */
  latencyMs: number;
}

/** Anything that can answer a chat request: the real gateway, or a test's own. */
export interface ChatModel {
  chat(req: ChatRequest): Promise<ChatResponse>;
}

/**
 * The one door to OpenAI-compatible endpoints. SDK retries are off: Temporal's retry policy owns
 * retries, so a failure surfaces once, classified (see errors.ts).
 */
export class LlmGateway implements ChatModel {
  private readonly client: OpenAI;

  constructor(private readonly config: LlmConfig) {
    this.client = new OpenAI({ apiKey: config.apiKey, baseURL: config.baseURL, maxRetries: 0, timeout: config.timeoutMs });
  }

  get model(): string {
    return this.config.model;
  }

  async chat(req: ChatRequest): Promise<ChatResponse> {
    const model = req.model ?? this.config.model;
    const started = performance.now();
    const body = {
      model,
      messages: req.messages,
      temperature: req.temperature,
      max_tokens: req.maxTokens,
      response_format: req.jsonSchema
        ? { type: 'json_schema' as const, json_schema: { name: req.jsonSchema.name, schema: req.jsonSchema.schema, strict: true } }
        : undefined,
    };
    try {
      if (!this.config.stream) {
        const res = await this.client.chat.completions.create({ ...body, stream: false }, { signal: req.signal });
        const choice = res.choices[0];
        return {
          content: choice?.message?.content ?? '',
          model: res.model ?? model,
          finishReason: choice?.finish_reason ?? null,
          usage: toUsage(res.usage),
          latencyMs: performance.now() - started,
        };
      }
      const stream = await this.client.chat.completions.create(
        { ...body, stream: true, stream_options: { include_usage: true } },
        { signal: req.signal },
      );
      let content = '';
      let finishReason: string | null = null;
      let usage: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
      let served = model;
      for await (const chunk of stream) {
        served = chunk.model ?? served;
        const choice = chunk.choices?.[0];
        const delta = choice?.delta?.content;
        if (delta) {
          content += delta;
          req.onProgress?.(content.length);
        }
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) usage = toUsage(chunk.usage);
      }
      return { content, model: served, finishReason, usage, latencyMs: performance.now() - started };
    } catch (err) {
      throw classifyLlmError(err, this.config.baseURL);
    }
  }
}

function toUsage(u: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null | undefined): TokenUsage {
  const promptTokens = u?.prompt_tokens ?? 0;
  const completionTokens = u?.completion_tokens ?? 0;
  return { promptTokens, completionTokens, totalTokens: u?.total_tokens ?? promptTokens + completionTokens };
}
