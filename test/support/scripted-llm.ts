import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted LLM: a real HTTP server speaking the OpenAI wire protocol (chat completions as JSON
 * or SSE, embeddings as JSON), so the `openai` SDK path runs for real. Each chat request takes the
 * next scripted reply; every request body is recorded for assertions.
 */

export interface ChatRequestBody {
  model: string;
  messages: { role: string; content: string | null; tool_call_id?: string; tool_calls?: { id: string; function: { name: string; arguments: string } }[] }[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  stream?: boolean;
  response_format?: { type: string; json_schema?: { name: string } };
  [key: string]: unknown;
}

/** A scripted tool call; `arguments` is sent as given (JSON text, or an object serialised here). */
export interface ScriptedToolCall {
  id?: string;
  name: string;
  arguments: string | Record<string, unknown>;
}

export type Reply =
  | {
      content: string;
      toolCalls?: ScriptedToolCall[];
      delayMs?: number;
      /** The finish reason sent (default: tool_calls with tool calls, else stop); `length` = cut at max_tokens. */
      finishReason?: 'stop' | 'length' | 'tool_calls';
      /** Streaming: after the content, the stream goes on (`endless`, a chunk every 20 ms) or stops sending (`stall`), never ending. */
      hang?: 'endless' | 'stall';
      /** Streaming: send the first half of the content's chunks, then destroy the connection (no finish, no [DONE]). */
      cut?: boolean;
      /** Streaming: characters per content chunk (default 256) and a pause before each chunk (default none). */
      chunkChars?: number;
      chunkDelayMs?: number;
      /** Hold the answer until this settles (or the client goes away): a call in flight for as long as a test needs. */
      holdUntil?: Promise<unknown>;
      /** Answer in one JSON body even when the request asked to stream, as some servers and proxies do. */
      noStream?: boolean;
    }
  | { status: number; error?: string; headers?: Record<string, string>; delayMs?: number; holdUntil?: Promise<unknown> };

export type Responder = (req: ChatRequestBody, index: number) => Reply;

export interface ScriptedLlm {
  url: string; // base URL, ending in /v1
  requests: ChatRequestBody[];
  /** The Authorization header of each chat request, in the order of `requests`. */
  authorizations: (string | undefined)[];
  embeddingRequests: { model: string; input: string[] }[];
  /** The usage sent with each chat answer that completed, in order. */
  usages: { prompt_tokens: number; completion_tokens: number; total_tokens: number }[];
  /** Replies for the next chat requests, in order. */
  enqueue(...replies: Reply[]): void;
  /** Used when the queue is empty (default: 500 "script exhausted"). */
  setFallback(responder: Responder): void;
  /** Refuse `response_format: json_schema` with a 400 (as older Ollama and some proxies do), or accept it again. */
  rejectJsonSchema(on: boolean): void;
  /** Hold every embeddings answer until `until` settles (or the client goes away); `undefined` answers at once again. */
  holdEmbeddings(until: Promise<unknown> | undefined): void;
  /** Requests whose connection the client closed before the answer was complete (aborted). */
  abandoned: number;
  close(): Promise<void>;
}

const approxTokens = (s: string): number => Math.max(1, Math.ceil(s.length / 4));

/** Deterministic pseudo-embedding of a text: a bag of hashed character trigrams, L2-normalised. */
export function hashEmbedding(text: string, dims = 64): number[] {
  const v = new Array<number>(dims).fill(0);
  const t = text.toLowerCase();
  for (let i = 0; i + 3 <= t.length; i++) {
    let h = 2166136261;
    for (let j = i; j < i + 3; j++) h = Math.imul(h ^ t.charCodeAt(j), 16777619);
    v[(h >>> 0) % dims]! += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

export async function startScriptedLlm(opts: { port?: number } = {}): Promise<ScriptedLlm> {
  const queue: Reply[] = [];
  const requests: ChatRequestBody[] = [];
  const authorizations: (string | undefined)[] = [];
  const embeddingRequests: { model: string; input: string[] }[] = [];
  const usages: ScriptedLlm['usages'] = [];
  let fallback: Responder = () => ({ status: 500, error: 'scripted LLM: script exhausted' });
  let counter = 0;
  let rejectSchema = false;
  let abandoned = 0;
  let embeddingsHold: Promise<unknown> | undefined;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw || '{}');
    } catch {
      return sendJson(res, 400, { error: { message: 'invalid JSON body', type: 'invalid_request_error' } });
    }
    if (req.method === 'POST' && req.url?.endsWith('/embeddings')) {
      const input = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
      embeddingRequests.push({ model: String(body.model), input });
      if (embeddingsHold && !(await held(res, embeddingsHold))) return;
      return sendJson(res, 200, {
        object: 'list',
        model: body.model,
        data: input.map((text, index) => ({ object: 'embedding', index, embedding: hashEmbedding(text) })),
        usage: { prompt_tokens: input.reduce((n, s) => n + approxTokens(s), 0), total_tokens: 0 },
      });
    }
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      return sendJson(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } });
    }
    const chat = body as unknown as ChatRequestBody;
    requests.push(chat);
    authorizations.push(req.headers.authorization);
    const index = counter++;
    if (rejectSchema && chat.response_format?.type === 'json_schema') {
      return sendJson(res, 400, { error: { message: "Invalid 'response_format': json_schema is not supported by this server", type: 'invalid_request_error' } });
    }
    res.once('close', () => {
      if (!res.writableEnded) abandoned++;
    });
    const reply = queue.length ? queue.shift()! : fallback(chat, index);
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs).unref()); // unref: a slow answer nobody waits for keeps no test alive
    if (reply.holdUntil && !(await held(res, reply.holdUntil))) return;
    if ('status' in reply) {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
      res.end(JSON.stringify({ error: { message: reply.error ?? `scripted status ${reply.status}`, type: 'scripted_error', code: null } }));
      return;
    }
    const prompt = chat.messages.map((m) => m.content ?? JSON.stringify(m.tool_calls ?? '')).join('\n');
    const toolCalls = (reply.toolCalls ?? []).map((c, i) => ({
      id: c.id ?? `call_${index}_${i}`,
      type: 'function' as const,
      function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) },
    }));
    const finishReason = reply.finishReason ?? (toolCalls.length ? 'tool_calls' : 'stop');
    const usage = {
      prompt_tokens: approxTokens(prompt),
      completion_tokens: approxTokens(reply.content),
      total_tokens: approxTokens(prompt) + approxTokens(reply.content),
    };
    if (!reply.cut && !reply.hang) usages.push(usage);
    const id = `chatcmpl-scripted-${index}`;
    const created = Math.floor(Date.now() / 1000);
    if (!chat.stream || reply.noStream) {
      return sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: chat.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: reply.content, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
            finish_reason: finishReason,
          },
        ],
        usage,
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const base = { id, object: 'chat.completion.chunk', created, model: chat.model };
    const pieces = reply.content.match(new RegExp(`[\\s\\S]{1,${reply.chunkChars ?? 256}}`, 'g')) ?? [''];
    const pause = (): Promise<void> => (reply.chunkDelayMs ? new Promise((r) => setTimeout(r, reply.chunkDelayMs)) : Promise.resolve());
    const sendPiece = (piece: string) => res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`);
    if (reply.cut) {
      for (const piece of pieces.slice(0, Math.max(1, Math.floor(pieces.length / 2)))) {
        await pause();
        sendPiece(piece);
      }
      // Let the chunks reach the client, then drop the socket as a crashed proxy would.
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    }
    for (const piece of pieces) {
      await pause();
      if (res.destroyed) return;
      sendPiece(piece);
    }
    if (reply.hang) {
      // Never finishes: `endless` keeps sending, `stall` goes silent. Only the client can end it.
      const timer = reply.hang === 'endless'
        ? setInterval(() => res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: ' more' }, finish_reason: null }] })}\n\n`), 20)
        : undefined;
      res.once('close', () => clearInterval(timer));
      return;
    }
    toolCalls.forEach((c, i) => {
      // As real servers do: the id and name first, then the arguments in fragments.
      res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: i, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }] }, finish_reason: null }] })}\n\n`);
      for (const part of c.function.arguments.match(/[\s\S]{1,40}/g) ?? []) {
        res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: i, function: { arguments: part } }] }, finish_reason: null }] })}\n\n`);
      }
    });
    res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finishReason }] })}\n\n`);
    res.write(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    authorizations,
    embeddingRequests,
    usages,
    enqueue: (...replies) => queue.push(...replies),
    setFallback: (r) => {
      fallback = r;
    },
    rejectJsonSchema: (on) => {
      rejectSchema = on;
    },
    holdEmbeddings: (until) => {
      embeddingsHold = until;
    },
    get abandoned() {
      return abandoned;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits for `until`; false if the client closed the connection first (nothing left to answer). */
async function held(res: http.ServerResponse, until: Promise<unknown>): Promise<boolean> {
  if (res.destroyed) return false;
  const gone = new Promise<false>((resolve) => res.once('close', () => resolve(false)));
  const settled = until.then(
    () => !res.destroyed,
    () => !res.destroyed,
  );
  return Promise.race([settled, gone]);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
