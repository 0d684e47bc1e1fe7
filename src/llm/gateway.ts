import { DEFAULT_MAX_TOKENS, type LlmConfig, type LlmPurpose } from '../config';
import { LocalChatModel } from './local/local-chat';
import { OpenAiChatModel } from './openai-chat';
import { loadPriceTable, type PriceTable } from './prices';
import { withUsageAndCost } from './usage';

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
  /** What the call is for; sets `maxTokens` when that is not given. */
  purpose?: LlmPurpose;
  /** Output-token limit (`max_tokens`). */
  maxTokens?: number;
  signal?: AbortSignal;
  /** Called as streamed text arrives, with the number of characters so far. */
  onProgress?: (chars: number) => void;
  /** Called with each piece of streamed text, as it arrives (providers call it). */
  onText?: (delta: string) => void;
  /** Where the gateway reports each call's start and its text (aiml watch's stream, via heartbeats). */
  stream?: StreamSink;
}

/** Receives a call's streamed text: `start` once per model call, then `text` per piece. */
export interface StreamSink {
  start(): void;
  text(delta: string): void;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** What the call cost in USD, from the price table (usage.ts); absent when the model has no price. */
  costUsd?: number;
  /** The model has no price in the table: its tokens count, its cost is unknown. */
  unpriced?: boolean;
  /** The provider reported no usage: the tokens were counted here. */
  estimated?: boolean;
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
  /** The output-token limit the call ran under, if any (named when an answer is cut at it). */
  maxTokens?: number;
}

/** Anything that can answer a chat request: the real gateway, or a test's own. */
export interface ChatModel {
  chat(req: ChatRequest): Promise<ChatResponse>;
  /** The output-token limit a call of this purpose gets, when the model sets one. */
  maxTokensFor?(purpose: LlmPurpose | undefined): number;
}

/**
 * The one door to the models. It sets each call's output-token limit from its purpose, then hands
 * the call to a provider: an OpenAI-compatible endpoint (openai-chat.ts) or the in-process local
 * model (local/local-chat.ts). Routing among several providers plugs in here.
 */
export class LlmGateway implements ChatModel {
  private readonly provider: ChatModel & { close?(): Promise<void> };
  private readonly prices: PriceTable;

  constructor(private readonly config: LlmConfig) {
    this.prices = config.prices ?? loadPriceTable({});
    this.provider = (config.provider ?? 'openai') === 'local' ? new LocalChatModel(config) : new OpenAiChatModel(config);
  }

  get model(): string {
    return this.config.model;
  }

  get providerName(): 'openai' | 'local' {
    return this.config.provider ?? 'openai';
  }

  /** The output-token limit a call of this purpose runs under. */
  maxTokensFor(purpose: LlmPurpose | undefined): number {
    const p = purpose ?? 'other';
    return this.config.maxTokens?.[p] ?? DEFAULT_MAX_TOKENS[p];
  }

  async chat(req: ChatRequest): Promise<ChatResponse> {
    const { stream, ...rest } = req;
    stream?.start();
    const onText = stream ? (d: string): void => stream.text(d) : rest.onText;
    const res = await this.provider.chat({ ...rest, ...(onText ? { onText } : {}), maxTokens: req.maxTokens ?? this.maxTokensFor(req.purpose) });
    return withUsageAndCost(req, res, this.prices, this.providerName);
  }

  /** Loads what the provider needs before the first call (the local model); nothing for an endpoint. */
  async warm(): Promise<void> {
    await (this.provider as { load?(): Promise<unknown> }).load?.();
  }

  /** Frees what the provider holds (the local model's memory). */
  async close(): Promise<void> {
    await this.provider.close?.();
  }
}
