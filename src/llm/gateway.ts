import OpenAI from 'openai';
import type { LlmConfig } from '../config';
import { classifyLlmError } from './errors';

/** One tool the model may call: a name, what it does, and a JSON schema of its arguments. */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** A tool call the model asked for. `arguments` is the raw JSON text, unparsed: the caller validates it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * A conversation message. Assistant turns may carry tool calls (their `content` may then be
 * empty); each tool result answers one call by its id.
 */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export interface ChatRequest {
  messages: ChatMessage[];
  model?: string;
  /** Ask for JSON matching this schema (OpenAI structured outputs). */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  /** Tools the model may call (OpenAI tool calling). */
  tools?: ToolDefinition[];
  toolChoice?: 'auto' | 'required' | 'none';
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
  /** Tool calls the model asked for, in order (empty when none). */
  toolCalls: ToolCall[];
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
      messages: req.messages.map(toWireMessage),
      tools: req.tools?.length ? req.tools.map(toWireTool) : undefined,
      tool_choice: req.tools?.length ? req.toolChoice : undefined,
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
          toolCalls: (choice?.message?.tool_calls ?? []).flatMap((c) =>
            c.type === 'function' ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments ?? '' }] : [],
          ),
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
      const calls = new ToolCallAssembler();
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
        for (const d of choice?.delta?.tool_calls ?? []) calls.add(d);
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) usage = toUsage(chunk.usage);
      }
      return { content, toolCalls: calls.done(), model: served, finishReason, usage, latencyMs: performance.now() - started };
    } catch (err) {
      throw classifyLlmError(err);
    }
  }
}

function toUsage(u: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null | undefined): TokenUsage {
  const promptTokens = u?.prompt_tokens ?? 0;
  const completionTokens = u?.completion_tokens ?? 0;
  return { promptTokens, completionTokens, totalTokens: u?.total_tokens ?? promptTokens + completionTokens };
}

type WireMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

function toWireMessage(m: ChatMessage): WireMessage {
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
  if (m.role === 'assistant' && m.toolCalls?.length) {
    return {
      role: 'assistant',
      content: m.content || null,
      tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
    };
  }
  return { role: m.role, content: m.content };
}

function toWireTool(t: ToolDefinition): OpenAI.Chat.Completions.ChatCompletionTool {
  return { type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } };
}

/** Streamed tool calls arrive in pieces keyed by index: the id and name first, the arguments in fragments. */
class ToolCallAssembler {
  private readonly byIndex = new Map<number, ToolCall>();

  add(d: { index: number; id?: string; function?: { name?: string; arguments?: string } }): void {
    const call = this.byIndex.get(d.index) ?? { id: '', name: '', arguments: '' };
    if (d.id) call.id = d.id;
    if (d.function?.name) call.name += d.function.name;
    if (d.function?.arguments) call.arguments += d.function.arguments;
    this.byIndex.set(d.index, call);
  }

  done(): ToolCall[] {
    return [...this.byIndex.entries()]
      .sort(([a], [b]) => a - b)
      .map(([i, c]) => ({ ...c, id: c.id || `call_${i}` }));
  }
}
