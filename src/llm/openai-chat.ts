import OpenAI from 'openai';
import type { LlmConfig } from '../config';
import { classifyLlmError, LlmError } from './errors';
import type { ChatMessage, ChatModel, ChatRequest, ChatResponse, TokenUsage, ToolCall, ToolDefinition } from './gateway';
import { StreamDeadline } from './deadline';
import { withSystemNote } from './system-note';

type ResponseMode = 'json_schema' | 'json_object';

/**
 * How each endpoint takes structured outputs, learnt per base URL for the life of the process.
 * A server that rejects `response_format: json_schema` (a 400 naming it) gets JSON mode with the
 * schema in the prompt at once and from then on. A server that ignores it cannot be told from a
 * model that got one answer wrong, so the evidence is weighed: after an answer that is not the
 * schema's object, the next request (normally the repair) goes in JSON mode; when that happens
 * twice and JSON mode answers right both times, JSON mode stays.
 */
interface EndpointState {
  mode: ResponseMode;
  /** The last json_schema answer ignored the schema: ask the next one in JSON mode. */
  suspect: boolean;
  /** Times JSON mode answered right after json_schema had not. */
  evidence: number;
  /** The server refused tool_choice "required" (older vLLM, some proxies): "auto" goes instead. */
  noRequiredChoice?: boolean;
}
const endpoints = new Map<string, EndpointState>();

/** Forget what was learnt (tests). */
export function forgetResponseModes(): void {
  endpoints.clear();
}

/**
 * An OpenAI-compatible endpoint. SDK retries are off (Temporal's retry policy owns retries);
 * every request runs under a StreamDeadline, so a stalled or endless answer aborts the HTTP
 * request and the server sees the connection close.
 */
export class OpenAiChatModel implements ChatModel {
  private readonly client: OpenAI;
  private readonly endpoint: string;

  constructor(private readonly config: LlmConfig) {
    this.client = new OpenAI({ apiKey: config.apiKey, baseURL: config.baseURL, maxRetries: 0, timeout: config.timeoutMs });
    this.endpoint = config.baseURL ?? 'https://api.openai.com/v1';
  }

  private get state(): EndpointState {
    let state = endpoints.get(this.endpoint);
    if (!state) endpoints.set(this.endpoint, (state = { mode: 'json_schema', suspect: false, evidence: 0 }));
    return state;
  }

  get responseMode(): ResponseMode {
    return this.state.mode;
  }

  /**
   * tool_choice "required" goes as asked; a server that refuses it (a 400/422 naming tool_choice)
   * gets the same request with "auto" at once, and from then on.
   */
  async chat(req: ChatRequest): Promise<ChatResponse> {
    const state = this.state;
    if (req.toolChoice !== 'required') return this.answer(req);
    if (state.noRequiredChoice) return this.answer({ ...req, toolChoice: 'auto' });
    try {
      return await this.answer(req);
    } catch (err) {
      if (!(err instanceof LlmError) || !rejectsRequiredChoice(err)) throw err;
      state.noRequiredChoice = true;
      return this.answer({ ...req, toolChoice: 'auto' });
    }
  }

  private async answer(req: ChatRequest): Promise<ChatResponse> {
    if (!req.jsonSchema) return this.send(req, 'json_schema');
    const state = this.state;
    if (state.mode === 'json_object') return this.send(req, 'json_object');
    if (state.suspect) {
      const res = await this.send(req, 'json_object');
      if (res.finishReason !== 'length' && !ignoresSchema(res.content, req.jsonSchema.schema)) {
        state.suspect = false;
        if (++state.evidence >= 2) state.mode = 'json_object';
      }
      return res;
    }
    let res: ChatResponse;
    try {
      res = await this.send(req, 'json_schema');
    } catch (err) {
      if (!(err instanceof LlmError) || !rejectsJsonSchema(err)) throw err;
      state.mode = 'json_object';
      return this.send(req, 'json_object');
    }
    if (res.finishReason !== 'length') state.suspect = ignoresSchema(res.content, req.jsonSchema.schema);
    return res;
  }

  private async send(req: ChatRequest, mode: ResponseMode): Promise<ChatResponse> {
    const model = req.model ?? this.config.model;
    const started = performance.now();
    const schema = req.jsonSchema;
    const told = schema?.limitsNote ? withSystemNote(req.messages, schema.limitsNote) : req.messages;
    const messages = schema && mode === 'json_object' ? withSystemNote(told, schemaInstruction(schema.schema)) : told;
    const body = {
      model,
      messages: messages.map(toWireMessage),
      tools: req.tools?.length ? req.tools.map(toWireTool) : undefined,
      tool_choice: req.tools?.length ? req.toolChoice : undefined,
      temperature: req.temperature,
      max_tokens: req.maxTokens,
      response_format: !schema
        ? undefined
        : mode === 'json_schema'
          ? { type: 'json_schema' as const, json_schema: { name: schema.name, schema: schema.schema, strict: true } }
          : { type: 'json_object' as const },
    };
    const deadline = new StreamDeadline(req.signal, this.config.timeoutMs, this.config.idleTimeoutMs ?? this.config.timeoutMs);
    try {
      const whole = (res: OpenAI.Chat.Completions.ChatCompletion): ChatResponse => {
        const choice = res.choices?.[0];
        return {
          content: choice?.message?.content ?? '',
          toolCalls: (choice?.message?.tool_calls ?? []).flatMap((c) =>
            c.type === 'function' ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments ?? '' }] : [],
          ),
          model: res.model ?? model,
          finishReason: choice?.finish_reason ?? null,
          usage: toUsage(res.usage),
          latencyMs: performance.now() - started,
          maxTokens: req.maxTokens,
        };
      };
      if (!this.config.stream) return whole(await this.client.chat.completions.create({ ...body, stream: false }, { signal: deadline.signal }));
      const { data: stream, response } = await this.client.chat.completions
        .create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal: deadline.signal })
        .withResponse();
      // Some servers and proxies ignore `stream: true` and answer in one JSON body; read as SSE it
      // would look like an empty answer.
      if (/^application\/json\b/i.test(response.headers.get('content-type') ?? '')) {
        const res = whole((await response.json()) as OpenAI.Chat.Completions.ChatCompletion);
        if (res.content) {
          req.onText?.(res.content);
          req.onProgress?.(res.content.length);
        }
        return res;
      }
      let content = '';
      const calls = new ToolCallAssembler();
      let finishReason: string | null = null;
      let usage: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
      let served = model;
      for await (const chunk of stream) {
        deadline.touch();
        served = chunk.model ?? served;
        const choice = chunk.choices?.[0];
        const delta = choice?.delta?.content;
        if (delta) {
          content += delta;
          req.onText?.(delta);
          req.onProgress?.(content.length);
        }
        for (const d of choice?.delta?.tool_calls ?? []) calls.add(d);
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) usage = toUsage(chunk.usage);
      }
      // The SDK ends an aborted stream quietly, as if it were complete: it was not.
      if (deadline.signal.aborted) throw deadline.signal.reason;
      return { content, toolCalls: calls.done(), model: served, finishReason, usage, latencyMs: performance.now() - started, maxTokens: req.maxTokens };
    } catch (err) {
      throw deadline.explain(err) ?? classifyLlmError(err, this.config.baseURL);
    } finally {
      deadline.clear();
    }
  }
}

/** A 400/422 whose message names tool_choice: the server does not take "required". */
function rejectsRequiredChoice(err: LlmError): boolean {
  return (err.status === 400 || err.status === 422) && /tool_choice|tool choice/i.test(err.message);
}

/** A 400/422 whose message names response_format or json_schema: the server does not take structured outputs. */
function rejectsJsonSchema(err: LlmError): boolean {
  return (err.status === 400 || err.status === 422) && /response_format|json_schema|structured output|schema/i.test(err.message);
}

/** The answer is not a JSON object carrying the schema's required top-level keys (the server ignored the schema). */
function ignoresSchema(content: string, schema: Record<string, unknown>): boolean {
  let value: unknown;
  try {
    value = JSON.parse(content.trim());
  } catch {
    return true;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return true;
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  return required.some((k) => !(k in value));
}

/** JSON mode knows no schema: the system prompt carries it instead. */
function schemaInstruction(schema: Record<string, unknown>): string {
  return `Answer with one JSON object, and nothing else, that matches this JSON schema (respect every maxLength and maxItems):\n${JSON.stringify(schema)}`;
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
