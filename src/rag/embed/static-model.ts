import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AimlError } from '../../errors';
import { stateDir } from '../../paths';
import { ensureLocalModelAsync, LOCAL_MODEL, localModelInstalled, STATIC_LOCAL_MODEL, type LocalModelFiles } from './model-install';
import { l2normalize, type EmbeddingProvider } from './provider';
import { WordPieceTokenizer } from './wordpiece';

/**
 * `minilm-static`: a static embedding model distilled from the default MiniLM, for folders too big
 * to embed with a transformer. Every vocabulary token is run through MiniLM once, alone between
 * [CLS] and [SEP], and its output vector kept; a text's vector is then the weighted sum of its
 * tokens' vectors, normalised. No transformer runs per text, so it embeds about ten times as many
 * chunks a second on one core, and ranks worse alone (bench:rag-quality has both rows).
 *
 * The distillation needs nothing but the MiniLM files the setup already installs: it runs once
 * per host (about 15 s on 2 cores) in a child process using up to 4 cores, and its table is kept in the state folder.
 * It is the default local model: its knowledge bases are searched in two stages, MiniLM scoring the
 * static model's top candidates again (src/rag/refine.ts), which ranks level with MiniLM alone.
 */

export const STATIC_MODEL_ID = `local:${STATIC_LOCAL_MODEL}`;
/** Tokens of a text summed (cheap here, so the whole of a chunk counts, not its first 128). */
export const STATIC_MAX_TOKENS = 512;
/** Rows run through MiniLM at once while distilling; fixed, so the table is the same on every run. */
const DISTILL_BATCH = 512;
/** Texts embedded between two turns of the event loop. */
const YIELD_EVERY = 64;

/** Runs [CLS] t [SEP] for every token t through the model and writes each token's own output row (float32, vocabulary order). */
const DISTILL_SOURCE = `
process.on('disconnect', () => process.exit(1)); // the parent died: nobody waits for this table
const fs = require('node:fs');
const ort = require(process.env.AIML_ORT_PATH);
const [onnx, out, vocabSize, dims, cls, sep, batch, threads] = JSON.parse(process.env.AIML_DISTILL);
(async () => {
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const table = new Float32Array(vocabSize * dims), L = 3;
  for (let start = 0; start < vocabSize; start += batch) {
    const n = Math.min(batch, vocabSize - start);
    const ids = new BigInt64Array(n * L), mask = new BigInt64Array(n * L).fill(1n);
    for (let r = 0; r < n; r++) { ids[r * L] = BigInt(cls); ids[r * L + 1] = BigInt(start + r); ids[r * L + 2] = BigInt(sep); }
    const res = await session.run({
      input_ids: new ort.Tensor('int64', ids, [n, L]),
      attention_mask: new ort.Tensor('int64', mask, [n, L]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(n * L), [n, L]),
    });
    const hidden = (res.last_hidden_state ?? res[session.outputNames[0]]).data;
    for (let r = 0; r < n; r++) table.set(hidden.subarray((r * L + 1) * dims, (r * L + 2) * dims), (start + r) * dims);
  }
  fs.writeFileSync(out, Buffer.from(table.buffer));
  process.exit(0); // the IPC channel would keep this process alive
})().catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
`;

/**
 * How much a token counts in a text's vector. BERT's uncased vocabulary lists its whole-word and
 * word-piece tokens by frequency, from "the" on (after the special tokens and single characters),
 * so a token's place there stands in for its rarity: weight log(1 + rank), rarer words counting
 * more. Single characters and punctuation (before "the"), everywhere in code, count log 2.
 */
export function tokenWeight(id: number, firstWord: number): number {
  return Math.log(1 + (id >= firstWord ? id - firstWord + 1 : 1));
}

/** Where the distilled table of a MiniLM file is written: named by the model file's digest, so another model file gets its own. */
export function staticTablePath(env: NodeJS.ProcessEnv, onnxSha256: string): string {
  return path.join(stateDir(env), 'models', STATIC_LOCAL_MODEL, `tokens-${onnxSha256.slice(0, 16)}.f32`);
}

/**
 * Where a distilled table is looked for: beside `AIML_EMBED_MODEL_DIR` first when that is set (a
 * models folder shared by several state folders, as `npm run setup` leaves it), then where it is written.
 */
function staticTableCandidates(env: NodeJS.ProcessEnv, onnxSha256: string): string[] {
  const own = staticTablePath(env, onnxSha256);
  const shared = env.AIML_EMBED_MODEL_DIR && path.join(path.dirname(path.resolve(env.AIML_EMBED_MODEL_DIR)), STATIC_LOCAL_MODEL, path.basename(own));
  return shared && shared !== own ? [shared, own] : [own];
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Runs the distillation in a child process (onnxruntime runs synchronously) and resolves when its table is written. */
function distill(files: LocalModelFiles, tokenizer: WordPieceTokenizer, dims: number, out: string): Promise<void> {
  const { cls, sep } = tokenizer.bounds;
  const { NODE_OPTIONS: _drop, ...env } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', DISTILL_SOURCE], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'], // the channel closes with the parent, and the child stops
      env: { ...env, AIML_ORT_PATH: require.resolve('onnxruntime-node'), AIML_DISTILL: JSON.stringify([files.onnx, out, tokenizer.size, dims, cls, sep, DISTILL_BATCH, Math.min(4, os.availableParallelism())]) },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new AimlError('EMBED_MODEL_INSTALL_FAILED', `Distilling ${STATIC_LOCAL_MODEL} from ${files.onnx} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').pop() ?? ''}`));
    });
  });
}

/** A distillation's temp file older than this belongs to a process that died during it. */
const DEAD_STAGING_MS = 60 * 60_000;

/** Deletes temp tables that distillations killed part way (a worker SIGKILLed) left behind. */
function removeDeadStaging(dir: string, now = Date.now()): void {
  for (const f of fs.readdirSync(dir)) {
    if (!f.includes('.partial-')) continue;
    const file = path.join(dir, f);
    try {
      if (now - fs.statSync(file).mtimeMs > DEAD_STAGING_MS) fs.rmSync(file, { force: true });
    } catch {
      // gone already (another process cleaned it)
    }
  }
}

export interface StaticTable {
  tokenizer: WordPieceTokenizer;
  /** Each token's weighted vector, `dims` floats a token. */
  vectors: Float32Array;
  /** The distilled table's file. */
  file: string;
}

/** Distils the table when this host has none yet (installing MiniLM first if needed), then loads it with its weights applied. */
export async function ensureStaticTable(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = () => {}, files?: LocalModelFiles): Promise<StaticTable> {
  const source = files ?? (await ensureLocalModelAsync(env, log, LOCAL_MODEL));
  const tokenizer = WordPieceTokenizer.fromTokenizerJson(source.tokenizer);
  const dims = LOCAL_MODEL.dims;
  const digest = sha256(source.onnx);
  const bytes = tokenizer.size * dims * 4;
  const whole = (f: string) => fs.existsSync(f) && fs.statSync(f).size === bytes;
  const table = staticTableCandidates(env, digest).find(whole) ?? staticTablePath(env, digest);
  if (!whole(table)) {
    log(`Distilling ${STATIC_LOCAL_MODEL} from ${source.onnx} into ${table} (once per host, about 15 s) ...`);
    fs.mkdirSync(path.dirname(table), { recursive: true });
    removeDeadStaging(path.dirname(table));
    const staging = `${table}.partial-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
    try {
      await distill(source, tokenizer, dims, staging);
      if (fs.statSync(staging).size !== bytes) throw new AimlError('EMBED_MODEL_INSTALL_FAILED', `${STATIC_LOCAL_MODEL}: the distilled table has ${fs.statSync(staging).size} bytes, expected ${bytes}`);
      fs.renameSync(staging, table); // atomic: a concurrent distillation writes the same bytes
    } finally {
      fs.rmSync(staging, { force: true });
    }
  }
  const buf = fs.readFileSync(table);
  const vectors = buf.byteOffset % 4 === 0 ? new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4) : new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const firstWord = tokenizer.idOf('the') ?? 0;
  for (let id = 0; id < tokenizer.size; id++) {
    const w = tokenWeight(id, firstWord);
    for (let d = 0; d < dims; d++) vectors[id * dims + d]! *= w;
  }
  return { tokenizer, vectors, file: table };
}

/** Embeds with the distilled table: a text's vector is the normalised sum of its tokens' weighted vectors. */
export class StaticEmbedder implements EmbeddingProvider {
  readonly id = STATIC_MODEL_ID;
  readonly dims = LOCAL_MODEL.dims;
  readonly cacheKey: string;
  private table?: Promise<StaticTable>;
  private loaded = false;
  private readonly maxTokens: number;

  constructor(private readonly opts: { maxTokens?: number; files?: LocalModelFiles; env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}) {
    this.maxTokens = opts.maxTokens ?? STATIC_MAX_TOKENS;
    this.cacheKey = `${this.id}@${this.maxTokens}`;
  }

  private load(): Promise<StaticTable> {
    this.table ??= ensureStaticTable(this.opts.env ?? process.env, this.opts.log ?? (() => {}), this.opts.files);
    this.table.then(
      () => (this.loaded = true),
      () => (this.table = undefined), // a failed distillation is tried again next time
    );
    return this.table;
  }

  /**
   * Whether embedding can start without installing MiniLM or distilling the table first: the table
   * is loaded, or MiniLM and a whole table of the pinned MiniLM are on this host (`npm run setup`
   * leaves them there). Callers that would otherwise wait for a first embedding use it to not wait
   * for a one-off install.
   */
  installed(): boolean {
    if (this.loaded) return true;
    const env = this.opts.env ?? process.env;
    if (!this.opts.files && !localModelInstalled(env, LOCAL_MODEL)) return false;
    const bytes = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
    // The table's size is the tokenizer's vocabulary times the dimensions: any whole one will do here.
    return staticTableCandidates(env, LOCAL_MODEL.onnxSha256).some((f) => bytes(f) > 0 && bytes(f) % (this.dims * 4) === 0);
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const { tokenizer, vectors } = await this.load();
    const { cls, sep } = tokenizer.bounds;
    const dims = this.dims;
    const out: Float32Array[] = [];
    for (const text of texts) {
      if (signal?.aborted) throw new AimlError('CANCELLED', 'Embedding was cancelled');
      // About a millisecond a chunk, on this thread: let the event loop (heartbeats) run between every few.
      if (out.length % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((r) => setImmediate(r));
      const v = new Float32Array(dims);
      for (const id of tokenizer.encode(text, this.maxTokens).ids) {
        if (id === cls || id === sep) continue;
        const row = id * dims;
        for (let d = 0; d < dims; d++) v[d]! += vectors[row + d]!;
      }
      out.push(l2normalize(v));
    }
    return out;
  }
}
