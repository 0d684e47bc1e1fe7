/**
 * Drives the local provider with the real model in a plain Node process (node-llama-cpp is an ES
 * module with top-level await, which jest's module system cannot load) and prints what it saw as
 * one JSON line: a tool call, a generation cancelled mid-way, and a streamed answer.
 */
import { LlmGateway } from '../../src/llm/gateway';
import type { LlmError } from '../../src/llm/errors';

async function main(modelPath: string): Promise<void> {
  const gateway = new LlmGateway({ provider: 'local', apiKey: 'none', model: 'local', timeoutMs: 300_000, stream: true, localModelPath: modelPath });
  const report: Record<string, unknown> = {};
  try {
    const res = await gateway.chat({
      messages: [{ role: 'user', content: 'Read the file README.md with the read_file tool.' }],
      tools: [{ name: 'read_file', description: 'Read a file of the workspace', parameters: { type: 'object', properties: { path: { type: 'string', maxLength: 100 } }, required: ['path'] } }],
      toolChoice: 'auto',
      maxTokens: 64,
    });
    report.tool = { ok: true, toolCalls: res.toolCalls, content: res.content, finishReason: res.finishReason };
  } catch (err) {
    report.tool = { ok: false, code: (err as LlmError).code, message: (err as Error).message };
  }

  try {
    const res = await gateway.chat({
      messages: [{ role: 'user', content: 'Read the file README.md.' }],
      tools: [
        { name: 'read_file', description: 'Read a file of the workspace', parameters: { type: 'object', properties: { path: { type: 'string', maxLength: 100 } }, required: ['path'] } },
        { name: 'list_files', description: 'List the files of a folder', parameters: { type: 'object', properties: { dir: { type: 'string', maxLength: 100 } }, required: ['dir'] } },
      ],
      toolChoice: 'required',
      maxTokens: 200,
    });
    report.required = { ok: true, toolCalls: res.toolCalls, finishReason: res.finishReason };
  } catch (err) {
    report.required = { ok: false, code: (err as LlmError).code, message: (err as Error).message };
  }

  const controller = new AbortController();
  let abortedAt = 0;
  let charsAtAbort = 0;
  let chars = 0;
  const started = performance.now();
  try {
    await gateway.chat({
      messages: [{ role: 'user', content: 'Write a very long story about a lighthouse keeper.' }],
      maxTokens: 4000,
      signal: controller.signal,
      onProgress: (n) => {
        chars = n;
        if (!abortedAt && n >= 20) {
          abortedAt = performance.now();
          charsAtAbort = n;
          controller.abort();
        }
      },
    });
    report.cancel = { ok: false, message: 'generation finished although it was cancelled' };
  } catch (err) {
    const stoppedAt = performance.now();
    const charsAfter = chars;
    // Generation has stopped for real: nothing more arrives, and the next call is served at once.
    await new Promise((r) => setTimeout(r, 500));
    const next = performance.now();
    // The next call streams: the text pieces handed to onText (what `aiml watch` shows) make up the answer.
    const pieces: string[] = [];
    const ok = await gateway.chat({ messages: [{ role: 'user', content: 'Say OK.' }], maxTokens: 8, onText: (d) => pieces.push(d) });
    report.streamed = { pieces: pieces.length, joined: pieces.join(''), content: ok.content };
    report.cancel = {
      ok: true,
      code: (err as LlmError).code,
      stopMs: Math.round(stoppedAt - abortedAt),
      firstTokenMs: Math.round(abortedAt - started),
      charsAtAbort,
      charsAfter,
      charsLater: chars,
      nextCallMs: Math.round(performance.now() - next),
    };
  }
  await gateway.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main(process.argv[2]!).catch((err) => {
  process.stderr.write(`probe failed: ${(err as Error).stack}\n`);
  process.exitCode = 1;
});
