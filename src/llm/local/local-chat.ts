import type { LlamaChat, LlamaContext, LlamaGrammar, LlamaContextSequence, LlamaModel, ChatHistoryItem, ChatModelFunctions, Llama } from 'node-llama-cpp';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { DEFAULT_LOCAL_CAPS, type LlmConfig } from '../../config';
import { LOCAL_CONTEXT_TOKENS } from '../context-window';
import { StreamDeadline } from '../deadline';
import { LlmError } from '../errors';
import type { ChatMessage, ChatModel, ChatRequest, ChatResponse, ToolCall } from '../gateway';
import { ensureChatModel } from './install';
import { loopCut } from './repetition';

type NodeLlamaCpp = typeof import('node-llama-cpp');

/**
 * node-llama-cpp is an ES module with top-level await, so CommonJS cannot require() it: a real
 * dynamic import, which TypeScript's CommonJS output would otherwise turn into require().
 */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<NodeLlamaCpp>;

interface Loaded {
  lib: NodeLlamaCpp;
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaContextSequence;
}

/**
 * The in-process local model: a GGUF file run on the CPU by llama.cpp (node-llama-cpp's prebuilt
 * CPU binary; GPU builds are kept out of the install). The model loads once, on first use; one
 * context sequence serves every call, so concurrent calls queue. Structured outputs are enforced
 * by a grammar generated from the JSON schema; tools go through the binding's function calling.
 * Cancellation and timeouts abort generation between two tokens.
 */
export class LocalChatModel implements ChatModel {
  private loading: Promise<Loaded> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

  constructor(
    private readonly config: LlmConfig,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Loads the model now (the worker does this at start, so the first call does not pay for it). */
  load(): Promise<Loaded> {
    return (this.loading ??= this.open().catch((err: unknown) => {
      this.loading = undefined;
      throw err instanceof LlmError ? err : new LlmError('LOCAL_MODEL_LOAD_FAILED', `Could not load the local model: ${(err as Error).message}`, false);
    }));
  }

  private async open(): Promise<Loaded> {
    const modelPath = this.config.localModelPath ?? ensureChatModel(this.env);
    const lib = await importEsm('node-llama-cpp');
    // CPU only, prebuilt binaries only: never a GPU probe, never a source build at run time.
    // Few threads: llama.cpp's threads wait for each other at every layer, so on a busy machine
    // more threads than free cores make generation crawl (seen here: 47 s a token with 2 threads
    // under load, 70 ms with 1).
    const threads = this.config.localThreads ?? Math.max(1, Math.min(4, Math.floor(os.availableParallelism() / 2)));
    const llama = await lib.getLlama({ gpu: false, build: 'never', logLevel: lib.LlamaLogLevel.error, maxThreads: threads });
    const model = await llama.loadModel({ modelPath });
    const context = await model.createContext({ contextSize: { max: this.config.contextTokens ?? LOCAL_CONTEXT_TOKENS }, sequences: 1, threads });
    return { lib, llama, model, context, sequence: context.getSequence() };
  }

  chat(req: ChatRequest): Promise<ChatResponse> {
    const run = this.queue.then(() => this.generate(req));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async generate(req: ChatRequest): Promise<ChatResponse> {
    const started = performance.now();
    // The idle clock starts at the first token: loading the model and reading the prompt (over a
    // minute for a long prompt on a busy CPU) are not a stall.
    const deadline = new StreamDeadline(req.signal, this.config.timeoutMs, this.config.idleTimeoutMs ?? this.config.timeoutMs, 'first-chunk');
    let chat: LlamaChat | undefined;
    // Free text (not a grammar's JSON, which a cut would break) stops once it loops: see repetition.ts.
    const loop = new AbortController();
    let cut: number | undefined;
    try {
      const m = await this.load();
      if (deadline.signal.aborted) throw deadline.explain(new Error('aborted'))!;
      chat = new m.lib.LlamaChat({ contextSequence: m.sequence });
      const before = { input: m.sequence.tokenMeter.usedInputTokens, output: m.sequence.tokenMeter.usedOutputTokens };
      const history = toHistory(req.messages);
      const tools = req.toolChoice === 'none' ? [] : (req.tools ?? []);
      // `required`: the answer is a call, forced by a grammar over the tools' schemas; `auto`: the binding's function calling.
      const forced = tools.length && req.toolChoice === 'required' ? requiredCallSchema(req) : undefined;
      const functions = tools.length && !forced ? toFunctions(req) : undefined;
      // The answer gets the room the prompt leaves: generating past the context makes node-llama-cpp
      // shift it, which fails when the system prompt, tools and latest messages alone fill it. The
      // prompt is counted as the model reads it: rendered by the chat template, tools documented.
      const rendered = chat.chatWrapper.generateContextState({ chatHistory: [...history, { type: 'model', response: [] }], availableFunctions: functions, documentFunctionParams: functions ? true : undefined });
      const fit = promptFit(m.context.contextSize, rendered.contextText.tokenize(m.model.tokenizer).length, req.maxTokens);
      if (fit.answerTokens === 0) throw new LlmError('LOCAL_CONTEXT_FULL', `The local model cannot answer: ${fit.note}.`, false);
      let content = '';
      let checked = 0;
      const schema = forced ?? req.jsonSchema?.schema;
      const watchLoops = !schema;
      const common = {
        signal: AbortSignal.any([deadline.signal, loop.signal]),
        stopOnAbortSignal: false,
        maxTokens: fit.answerTokens,
        temperature: req.temperature ?? 0,
        repeatPenalty: { penalty: 1.1 },
        onToken: () => deadline.touch(), // every generated token, a tool call's too
        onTextChunk: (text: string) => {
          deadline.touch();
          content += text;
          req.onText?.(text);
          req.onProgress?.(content.length);
          if (watchLoops && content.length - checked >= 16) {
            checked = content.length;
            cut = loopCut(content);
            if (cut !== undefined) loop.abort();
          }
        },
      };
      const generating = functions
        ? chat.generateResponse(history, { ...common, functions, documentFunctionParams: true })
        : chat.generateResponse(history, { ...common, ...(schema ? { grammar: await this.grammarFor(m, schema) } : {}) });
      const res = await generating.catch((err: unknown) => {
        if (cut === undefined || deadline.signal.aborted) throw err;
        // Stopped for looping: the answer is the text up to the end of the block's first copy.
        return { response: content.slice(0, cut), functionCalls: undefined, metadata: { stopReason: 'loop' as const } };
      });
      const loopNote = cut === undefined ? undefined : `stopped after ${content.length.toLocaleString('en-US')} characters: the answer was repeating one block; kept up to its first copy (${cut.toLocaleString('en-US')} characters)`;
      const toolCalls: ToolCall[] = forced
        ? [parseForcedCall(res.response)]
        : (res.functionCalls ?? []).map((c) => ({ id: newCallId(), name: c.functionName, arguments: JSON.stringify(c.params ?? {}) }));
      const completionTokens = m.sequence.tokenMeter.usedOutputTokens - before.output;
      // A prompt longer than the context is cut by node-llama-cpp (it keeps what fits), silently:
      // say so with the answer, and count what the model read when its meter did not.
      const metered = m.sequence.tokenMeter.usedInputTokens - before.input;
      const promptTokens = metered > 0 ? metered : Math.min(fit.promptTokens, fit.contextSize);
      const note = [fit.note, loopNote].filter(Boolean).join('; ');
      return {
        ...(note ? { note } : {}),
        content: forced ? '' : res.response,
        toolCalls,
        model: this.config.model === 'local' ? 'local:' + (this.config.localModelPath ?? 'SmolLM2-135M-Instruct') : this.config.model,
        finishReason: forced && res.metadata.stopReason !== 'maxTokens' ? 'tool_calls' : finishReason(res.metadata.stopReason),
        usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
        latencyMs: performance.now() - started,
        maxTokens: fit.answerTokens,
      };
    } catch (err) {
      const explained = deadline.explain(err);
      if (explained) throw explained;
      if (err instanceof LlmError) throw err;
      throw new LlmError('LOCAL_MODEL_FAILED', `The local model failed: ${(err as Error).message}`, false);
    } finally {
      deadline.clear();
      chat?.dispose({ disposeSequence: false });
    }
  }

  private grammarFor(m: Loaded, schema: Record<string, unknown>): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let grammar = this.grammars.get(key);
    if (!grammar) {
      grammar = m.llama.createGrammarForJsonSchema(forGrammar(schema, this.config.localCaps ?? DEFAULT_LOCAL_CAPS) as never).catch((err: unknown) => {
        this.grammars.delete(key);
        throw new LlmError('LOCAL_SCHEMA_UNSUPPORTED', `The local model cannot enforce this JSON schema as a grammar: ${(err as Error).message}`, false);
      });
      this.grammars.set(key, grammar);
    }
    return grammar;
  }

  async close(): Promise<void> {
    const loading = this.loading;
    this.loading = undefined;
    if (!loading) return;
    const m = await loading.catch(() => undefined);
    await m?.context.dispose();
    await m?.model.dispose();
    await m?.llama.dispose();
  }
}

function finishReason(stop: string): string {
  if (stop === 'maxTokens' || stop === 'loop') return 'length';
  if (stop === 'functionCalls') return 'tool_calls';
  return 'stop';
}

/**
 * The gateway's messages as node-llama-cpp chat history; tool results join the call they answer:
 * the results that follow an assistant message answer its calls, by id and else in order (ids
 * repeat from turn to turn in conversations this model wrote before its ids were unique).
 */
export function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  messages.forEach((m, at) => {
    if (m.role === 'system') history.push({ type: 'system', text: m.content });
    else if (m.role === 'user') history.push({ type: 'user', text: m.content });
    else if (m.role === 'assistant') {
      const answers: Extract<ChatMessage, { role: 'tool' }>[] = [];
      for (let j = at + 1; j < messages.length; j++) {
        const next = messages[j]!;
        if (next.role !== 'tool') break;
        answers.push(next);
      }
      const response: Extract<ChatHistoryItem, { type: 'model' }>['response'] = m.content ? [m.content] : [];
      (m.toolCalls ?? []).forEach((c) => {
        const byId = answers.findIndex((a) => a.toolCallId === c.id);
        const [answer] = answers.splice(byId >= 0 ? byId : 0, 1);
        response.push({ type: 'functionCall', name: c.name, params: safeParse(c.arguments), result: answer?.content ?? '' });
      });
      history.push({ type: 'model', response });
    }
  });
  history.push({ type: 'model', response: [] });
  return history;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One JSON object naming a tool and its arguments, for each tool offered. */
function requiredCallSchema(req: ChatRequest): Record<string, unknown> {
  return {
    oneOf: (req.tools ?? []).map((t) => ({
      type: 'object',
      properties: { tool: { const: t.name }, arguments: t.parameters },
      required: ['tool', 'arguments'],
      additionalProperties: false,
    })),
  };
}

/** A tool call id unique in the conversation, as served models give them (the model itself names none). */
const newCallId = (): string => `call_${randomUUID().slice(0, 12)}`;

function parseForcedCall(text: string): ToolCall {
  let value: { tool?: unknown; arguments?: unknown };
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new LlmError('LOCAL_TOOL_CALL_INVALID', `The local model's tool call is not complete JSON (cut at the token limit?): ${(err as Error).message}`, false);
  }
  return { id: newCallId(), name: String(value.tool), arguments: JSON.stringify(value.arguments ?? {}) };
}

function toFunctions(req: ChatRequest): ChatModelFunctions {
  const functions: Record<string, { description?: string; params?: unknown }> = {};
  for (const t of req.tools ?? []) functions[t.name] = { description: t.description, params: forGrammar(t.parameters) };
  return functions as ChatModelFunctions;
}

/** How long a string and how many items an array may get from the local model's grammar. */
export interface GrammarCaps {
  maxLength: number;
  maxItems: number;
}

/**
 * The schema as a grammar for a small CPU model: annotations llama.cpp does not use ($schema,
 * title, …) dropped, and every string and array capped (never below its own minimum), so an
 * answer stays short enough to generate in reasonable time. A capped answer is still valid for
 * the original schema: caps only tighten it.
 */
export function forGrammar(schema: unknown, caps?: GrammarCaps): unknown {
  if (Array.isArray(schema)) return schema.map((s) => forGrammar(s, caps));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$schema' || k === 'title' || k === 'default' || k === 'examples') continue;
    out[k] = k === 'properties' || k === '$defs' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, forGrammar(s, caps)])) : forGrammar(v, caps);
  }
  if (caps) {
    const types = Array.isArray(out.type) ? out.type : [out.type];
    if (types.includes('string') && out.enum === undefined && out.const === undefined && out.format === undefined) {
      out.maxLength = Math.max(Number(out.minLength ?? 0), Math.min(Number(out.maxLength ?? Infinity), caps.maxLength));
    }
    if (types.includes('array')) out.maxItems = Math.max(Number(out.minItems ?? 0), Math.min(Number(out.maxItems ?? Infinity), caps.maxItems));
  }
  return out;
}

/** Tokens kept free beyond the prompt and the answer (the answer's end markers). */
const SLACK_TOKENS = 32;
/** The least room worth answering in: below it the call fails at once (LOCAL_CONTEXT_FULL) instead of overflowing the context. */
const MIN_ANSWER_TOKENS = 128;

/**
 * The answer's token budget beside a prompt of `promptTokens` in a context of `contextSize`: what
 * was asked, cut to the room the prompt leaves (0 when that is too little to answer in), and a
 * note whenever it was cut.
 */
export function promptFit(contextSize: number, promptTokens: number, maxTokens: number | undefined): { promptTokens: number; contextSize: number; answerTokens: number; note?: string } {
  const room = contextSize - promptTokens - SLACK_TOKENS;
  const asked = maxTokens ?? room;
  const n = (x: number) => x.toLocaleString('en-US');
  if (room < MIN_ANSWER_TOKENS) {
    return {
      promptTokens,
      contextSize,
      answerTokens: 0,
      note: `a prompt of ${n(promptTokens)} tokens leaves no room for an answer in the local model's ${n(contextSize)}-token context (use a model with a larger context for this work)`,
    };
  }
  if (room < asked) {
    return { promptTokens, contextSize, answerTokens: room, note: `answer limited to ${n(room)} tokens (of ${n(asked)}) to fit beside a prompt of ${n(promptTokens)} tokens in the local model's ${n(contextSize)}-token context` };
  }
  return { promptTokens, contextSize, answerTokens: asked };
}
