import fs from 'node:fs';
import path from 'node:path';
import { loadRagConfig } from '../../src/rag/config';
import { EmbeddingCache, embedCached, UNUSED_CACHE_MS } from '../../src/rag/embed/cache';
import { embedProcesses, localEmbedderPids, LocalOnnxEmbedder } from '../../src/rag/embed/local-onnx';
import { BGE_SMALL_MODEL, ensureLocalModel, LOCAL_MODEL, selectedLocalModel } from '../../src/rag/embed/model-install';
import { OpenAiEmbedder } from '../../src/rag/embed/openai-embedder';
import { WordPieceTokenizer } from '../../src/rag/embed/wordpiece';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { tmpDir } from '../support/env';

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

let llm: ScriptedLlm;
beforeAll(async () => {
  llm = await startScriptedLlm();
});
afterAll(async () => {
  await llm?.close();
});

describe('local MiniLM (ONNX, installed by the project from its registry artifact)', () => {
  const local = new LocalOnnxEmbedder();

  test('the WordPiece tokenizer gives the ids of the reference implementation', () => {
    const tok = WordPieceTokenizer.fromTokenizerJson(ensureLocalModel().tokenizer);
    // Reference ids from the Hugging Face `tokenizers` library with the same tokenizer.json.
    expect(tok.encode('Hello, World! café naïve').ids).toEqual([101, 7592, 1010, 2088, 999, 7668, 15743, 102]);
    expect(tok.encode('function parseGitIgnore(pattern: string) { return x_y.z; }').ids).toEqual([
      101, 3853, 11968, 3366, 23806, 23773, 5686, 1006, 5418, 1024, 5164, 1007, 1063, 2709, 1060, 1035, 1061, 1012, 1062, 1025, 1065, 102,
    ]);
    expect(tok.encode('The quick brown fox — jumps 42 times; 東京 ok').ids).toEqual([101, 1996, 4248, 2829, 4419, 1517, 14523, 4413, 2335, 1025, 1879, 1755, 7929, 102]);
    expect(tok.encode('unbelievably tokenization xyzzyqwerty').ids).toEqual([101, 4895, 8671, 2666, 3567, 6321, 19204, 3989, 1060, 2100, 28753, 4160, 13777, 3723, 102]);
    expect(tok.encode('word '.repeat(500), 16).ids).toHaveLength(16);
  });

  test('vectors are 384-d, unit length, and put related sentences closer than unrelated ones', async () => {
    const [cat, kitten, stocks] = await local.embed(['A cat sits on the mat', 'A kitten is resting on a rug', 'Stock markets fell sharply today']);
    expect(local.id).toBe(LOCAL_MODEL.id);
    expect(cat).toHaveLength(384);
    expect(dot(cat!, cat!)).toBeCloseTo(1, 4);
    expect(dot(cat!, kitten!)).toBeGreaterThan(0.5);
    expect(dot(cat!, stocks!)).toBeLessThan(0.2);
  });

  test('a text embeds to the same vector alone and among other texts', async () => {
    const short = 'retry with backoff';
    const [alone] = await local.embed([short]);
    const batch = await local.embed(['a much longer text about exponential backoff and jitter in HTTP clients', short]);
    expect(dot(alone!, batch[1]!)).toBeCloseTo(1, 5);
  });

  test('a text is embedded up to the model window (128 tokens for MiniLM); the cache key names the window', async () => {
    const head = 'retry the request with exponential backoff '.repeat(60); // well over 256 tokens
    const [a, b] = await local.embed([head + 'and log the error', head + 'then parse the JSON payload into a user record']);
    expect(dot(a!, b!)).toBeCloseTo(1, 6); // the tails differ only past the window
    const wide = new LocalOnnxEmbedder({ maxTokens: 512 });
    const [wa, wb] = await wide.embed([head + 'and log the error', head + 'then parse the JSON payload into a user record']);
    expect(dot(wa!, wb!)).toBeLessThan(0.9999); // a wider window sees the tails
    expect(local.cacheKey).toBe(`${LOCAL_MODEL.id}@128`);
    expect(wide.cacheKey).toBe(`${LOCAL_MODEL.id}@512`);
    expect(new LocalOnnxEmbedder({ maxTokens: 256 }).cacheKey).toBe(LOCAL_MODEL.id); // caches from before windows were named
    expect(LOCAL_MODEL.maxTokens).toBe(128);
    expect(loadRagConfig({ AIML_EMBED_MAX_TOKENS: '128' }).embeddings).toMatchObject({ kind: 'local', maxTokens: 128 });
    expect(() => loadRagConfig({ AIML_EMBED_MAX_TOKENS: '4096' })).toThrow(/AIML_EMBED_MAX_TOKENS=4096 must be a whole number from 16 to 512/);
  });

  test('two inference processes give the vectors one gives; a killed one is replaced, and what it held fails retryably', async () => {
    const texts = Array.from({ length: 24 }, (_, i) => `function handler${i}(req) { return retry(req, { attempts: ${i} }); }`);
    const one = await new LocalOnnxEmbedder({ processes: 1 }).embed(texts);
    const two = new LocalOnnxEmbedder({ processes: 2 });
    const both = await two.embed(texts);
    both.forEach((v, i) => expect(dot(v, one[i]!)).toBeCloseTo(1, 6));
    const pids = localEmbedderPids();
    expect(pids.length).toBeGreaterThanOrEqual(2); // the second started because the first was busy
    expect(pids.length).toBeLessThanOrEqual(embedProcesses());

    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const again = await two.embed(texts.slice(0, 4));
    again.forEach((v, i) => expect(dot(v, one[i]!)).toBeCloseTo(1, 6));
    expect(localEmbedderPids().some((p) => pids.includes(p))).toBe(false);

    // Killed mid-batch: the batch fails with a retryable code, and the next call works.
    const running = two.embed(Array.from({ length: 400 }, (_, i) => `${texts[i % 24]} // ${i}`));
    await new Promise((r) => setTimeout(r, 30));
    for (const pid of localEmbedderPids()) process.kill(pid, 'SIGKILL');
    await expect(running).rejects.toMatchObject({ code: 'EMBED_PROCESS_DIED' });
    expect(await two.embed([texts[0]!])).toHaveLength(1);
  });

  test('an idle inference process stops (its memory back); the next call starts another and gets the same vector', async () => {
    const e = new LocalOnnxEmbedder({ idleMs: 300 });
    // Enough texts that every process of the pool runs one (and so takes the new idle time).
    const [first] = await e.embed(['an idle process goes away', ...Array.from({ length: 7 }, (_, i) => `filler text ${i}`)]);
    const before = localEmbedderPids();
    expect(before.length).toBeGreaterThanOrEqual(1);
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && before.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    expect(before.filter(alive)).toEqual([]); // the processes themselves are gone
    expect(localEmbedderPids()).toEqual([]);
    const [again] = await e.embed(['an idle process goes away']);
    expect(dot(first!, again!)).toBeCloseTo(1, 6);
    expect(localEmbedderPids().some((p) => before.includes(p))).toBe(false);
  });

  test('AIML_EMBED_PROCESSES: a count is honoured, anything else refused naming the variable', () => {
    expect(embedProcesses({ AIML_EMBED_PROCESSES: '3' })).toBe(3);
    expect(embedProcesses({})).toBeGreaterThanOrEqual(1);
    for (const bad of ['0', 'two', '1.5', '-1', '1000']) {
      expect(() => embedProcesses({ AIML_EMBED_PROCESSES: bad })).toThrow(/AIML_EMBED_PROCESSES/);
    }
    // Read with the rest of the retrieval settings, so a worker refuses a bad value at start.
    expect(loadRagConfig({ AIML_EMBED_PROCESSES: '2' }).embeddings).toEqual({ kind: 'local', processes: 2 });
    expect(() => loadRagConfig({ AIML_EMBED_PROCESSES: 'lots' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('bge-small-en-v1.5 (the second local model, [CLS] pooling)', () => {
  test('AIML_LOCAL_EMBED_MODEL picks the local model; an unknown name is refused with the choices', () => {
    expect(selectedLocalModel({})).toBe(LOCAL_MODEL);
    expect(selectedLocalModel({ AIML_LOCAL_EMBED_MODEL: 'bge-small-en-v1.5-q' })).toBe(BGE_SMALL_MODEL);
    expect(() => selectedLocalModel({ AIML_LOCAL_EMBED_MODEL: 'gpt-embed' })).toThrow(/not a local model; use one of all-minilm-l6-v2-q, bge-small-en-v1.5-q, minilm-static/);
  });

  test('vectors are 384-d, unit length, and rank a paraphrase above an unrelated text', async () => {
    const bge = new LocalOnnxEmbedder({ model: BGE_SMALL_MODEL });
    const [cat, kitten, stocks] = await bge.embed(['A cat sits on the mat', 'A kitten is resting on a rug', 'Stock markets fell sharply today']);
    expect(bge.id).toBe('local:bge-small-en-v1.5-q');
    expect(cat).toHaveLength(384);
    expect(dot(cat!, cat!)).toBeCloseTo(1, 4);
    expect(dot(cat!, kitten!)).toBeGreaterThan(dot(cat!, stocks!) + 0.2);
  });
});

test('an OpenAI-compatible endpoint: batched, normalised, size learned from the first answer', async () => {
  const e = new OpenAiEmbedder({ baseURL: llm.url, apiKey: 'sk-test-not-a-secret', model: 'emb-test', batchSize: 2 });
  expect(() => e.dims).toThrow(/not known/);
  const before = llm.embeddingRequests.length;
  const vs = await e.embed(['one', 'two', 'three']);
  expect(llm.embeddingRequests.length - before).toBe(2);
  expect(e.dims).toBe(64);
  expect(e.id).toBe('openai:emb-test');
  expect(dot(vs[2]!, vs[2]!)).toBeCloseTo(1, 5);
});

test('an unreachable embeddings endpoint is a retryable LLM_CONNECTION error', async () => {
  const e = new OpenAiEmbedder({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'sk-test-not-a-secret', model: 'x', timeoutMs: 5000 });
  await expect(e.embed(['x'])).rejects.toMatchObject({ code: 'LLM_CONNECTION', retryable: true });
});

test('the embedding cache answers repeated texts by content hash and model, across reopen', async () => {
  const e = new OpenAiEmbedder({ baseURL: llm.url, apiKey: 'sk-test-not-a-secret', model: 'emb-cache', dims: 64 });
  const dir = path.join(tmpDir(), 'cache');
  const cache = new EmbeddingCache(dir, e.id, 64);
  const first = await embedCached(e, cache, ['alpha', 'beta', 'alpha']);
  expect(first.cached).toBe(1); // a text repeated within one call is embedded once
  cache.close();
  const n = llm.embeddingRequests.length;
  const again = await embedCached(e, new EmbeddingCache(dir, e.id, 64), ['beta', 'alpha']);
  expect(again.cached).toBe(2);
  expect(llm.embeddingRequests.length).toBe(n);
  expect(dot(again.vectors[0]!, first.vectors[1]!)).toBeCloseTo(1, 6);
  const other = await embedCached(e, new EmbeddingCache(dir, 'openai:another-model', 64), ['alpha']);
  expect(other.cached).toBe(0);
});

test("opening a cache deletes other models' cache files unused for 30 days and dead collections' temp files, and keeps the rest", () => {
  const dir = path.join(tmpDir(), 'cache');
  fs.mkdirSync(dir, { recursive: true });
  const old = new Date(Date.now() - UNUSED_CACHE_MS - 3600_000);
  const touch = (name: string, when?: Date): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, Buffer.alloc(32 + 16 * 4));
    if (when) fs.utimesSync(f, when, when);
    return f;
  };
  const stale = touch('local_minilm@64-16.bin', old);
  const recent = touch('local_bge-16.bin', new Date(Date.now() - 24 * 3600_000));
  const deadTemp = touch('local_bge-16.bin.gc-4242', new Date(Date.now() - 2 * 3600_000));
  const liveTemp = touch('local_bge-16.bin.gc-4343');
  const notOurs = touch('notes.txt', old);
  const mine = touch('local_minilm-16.bin', old); // this model's own file: old, but opened now
  const cache = new EmbeddingCache(dir, 'local:minilm', 16);
  expect(cache.size).toBe(1); // opens (and loads) the cache
  cache.close();
  expect(fs.existsSync(stale)).toBe(false);
  expect(fs.existsSync(deadTemp)).toBe(false);
  expect(fs.existsSync(recent)).toBe(true);
  expect(fs.existsSync(liveTemp)).toBe(true);
  expect(fs.existsSync(notOurs)).toBe(true);
  expect(fs.existsSync(mine)).toBe(true);
  expect(Date.now() - fs.statSync(mine).mtimeMs).toBeLessThan(60_000); // marked as in use
});
