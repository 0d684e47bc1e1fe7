import type { LlmConfig, LlmPurpose } from '../config';
import type { LlmRoutesView, ProviderUse } from '../contracts/llm';
import { CircuitBreaker } from './breaker';
import { LocalChatModel } from './local/local-chat';
import { OpenAiChatModel } from './openai-chat';
import { loadPriceTable, type PriceTable } from './prices';
import { singleProvider } from './providers';
import { LlmRouter } from './router';
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
  /**
   * Ask for JSON matching this schema (OpenAI structured outputs). `limitsNote`: its size limits
   * and the answer's token budget in words, which a provider adds to the system prompt unless it
   * holds the model to the schema itself (the local model's grammar does; a tiny model shown the
   * limits copies them into its answer: a design titled "At most 120 characters").
   */
  jsonSchema?: { name: string; schema: Record<string, unknown>; limitsNote?: string };
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
  /** Called when a provider failed and the call moves on to the next one (the router calls it). */
  onFallback?: (from: string, reason: string, to: string) => void;
  /** Where the gateway reports each call's start and its text (aiml watch's stream, via heartbeats). */
  stream?: StreamSink;
}

/** Receives a call's streamed text: `start` once per model call, then `text` per piece; `fallback` when another provider takes over. */
export interface StreamSink {
  start(): void;
  text(delta: string): void;
  fallback?(from: string, reason: string, to: string): void;
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
  /** Which provider answered (set by the router), and why those before it were skipped. */
  provider?: ProviderUse;
  /** Something the provider wants said about this answer (e.g. the prompt did not fit its context). */
  note?: string;
}

/** Anything that can answer a chat request: the real gateway, or a test's own. */
export interface ChatModel {
  chat(req: ChatRequest): Promise<ChatResponse>;
  /** The output-token limit a call of this purpose gets, when the model sets one. */
  maxTokensFor?(purpose: LlmPurpose | undefined): number;
  /** The context window a call of this purpose gets, when the settings fix it (configured, or the local model's). */
  contextTokensFor?(purpose: LlmPurpose | undefined): number | undefined;
  /** Whether this purpose's model shortens an answer to the room its window leaves (the local model), instead of refusing the request. */
  capsAnswerFor?(purpose: LlmPurpose | undefined): boolean;
  /** The routing table (the gateway has one): which provider serves each role. */
  describeRoutes?(): LlmRoutesView;
}

/**
 * The one door to the models. Each call goes to the providers of its role (router.ts): an
 * OpenAI-compatible endpoint (openai-chat.ts) or the in-process local model (local/local-chat.ts),
 * with fallback, a circuit breaker and a response cache. Today's single-endpoint settings are a
 * one-provider list.
 */
export class LlmGateway implements ChatModel {
  readonly router: LlmRouter;
  private readonly prices: PriceTable;
  /** Providers that run in process (the local model): they cost nothing. */
  private readonly localProviders: Set<string>;

  constructor(
    private readonly config: LlmConfig,
    opts: { stateDir?: string } = {},
  ) {
    const routing = config.routing ?? singleProvider(config);
    this.prices = config.prices ?? loadPriceTable({});
    this.localProviders = new Set(routing.providers.filter((p) => p.llm.provider === 'local').map((p) => p.name));
    this.router = new LlmRouter(routing, (p) => (p.llm.provider === 'local' ? new LocalChatModel(p.llm) : new OpenAiChatModel(p.llm)), {
      ...(opts.stateDir ? { breakerFile: CircuitBreaker.fileIn(opts.stateDir) } : {}),
    });
  }

  get model(): string {
    return this.config.model;
  }

  get providerName(): 'openai' | 'local' {
    return this.config.provider ?? 'openai';
  }

  /** The model of the role's first provider (what a call of this purpose is sized for). */
  modelFor(purpose: LlmPurpose): string {
    return this.router.route(purpose)[0]!.config.llm.model;
  }

  /** The output-token limit a call of this purpose runs under (set by the role's first provider). */
  maxTokensFor(purpose: LlmPurpose | undefined): number {
    return this.router.maxTokensFor(purpose);
  }

  capsAnswerFor(purpose: LlmPurpose | undefined): boolean {
    return this.router.capsAnswerFor(purpose);
  }

  contextTokensFor(purpose: LlmPurpose | undefined): number | undefined {
    return this.router.contextTokensFor(purpose);
  }

  async chat(req: ChatRequest): Promise<ChatResponse> {
    const { stream, ...rest } = req;
    stream?.start();
    const onText = stream ? (d: string): void => stream.text(d) : rest.onText;
    const onFallback = stream?.fallback ? (from: string, reason: string, to: string): void => stream.fallback!(from, reason, to) : rest.onFallback;
    const res = await this.router.chat({ ...rest, ...(onText ? { onText } : {}), ...(onFallback ? { onFallback } : {}) });
    // An answer from the response cache made no request: it costs nothing.
    if (res.provider?.cached) return { ...res, usage: { ...res.usage, costUsd: 0 } };
    const name = res.provider?.name ?? this.providerName;
    return withUsageAndCost(rest, res, this.prices, this.localProviders.has(name) ? 'local' : name);
  }

  /** Which provider serves each role, and which breakers are open: recorded at run start. */
  describeRoutes(): LlmRoutesView {
    return this.router.describe();
  }

  /** Loads what the providers need before the first call (a local model); nothing for an endpoint. */
  async warm(): Promise<void> {
    await this.router.warm();
  }

  /** Frees what the providers hold (the local model's memory). */
  async close(): Promise<void> {
    await this.router.close();
  }
}
