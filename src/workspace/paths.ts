import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../errors';

/**
 * Where generated edits may write. A path is refused unless it is relative, stays inside the
 * workspace after resolving symbolic links, and names no repository internals or secret store.
 */

const SECRET_BASENAMES = [
  /^\.env(\..*)?$/i, // .env, .env.local, .env.production … (templates allowed below)
  /^id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$/i,
  /\.(pem|key|p12|pfx|jks|keystore|kdbx|gpg|asc|ppk)$/i,
  /^\.(npmrc|pypirc|netrc|pgpass|htpasswd|git-credentials|dockercfg)$/i,
  /^credentials(\.json|\.ya?ml)?$/i,
  /^secrets?\.(json|ya?ml|toml|env)$/i,
  /^(service-account|serviceaccount).*\.json$/i,
];
const ENV_TEMPLATES = /^\.env\.(example|sample|template|dist)$/i;
const SECRET_DIRS = new Set(['.git', '.ssh', '.gnupg', '.aws', '.azure', '.kube', '.docker', '.aiml']);

/** Returns why `rel` names a protected file, or undefined. */
export function protectedReason(rel: string): string | undefined {
  const parts = rel.split('/');
  const dir = parts.find((p) => SECRET_DIRS.has(p.toLowerCase()));
  if (dir) return dir === '.git' ? 'is inside .git/ (repository internals)' : `is inside ${dir}/ (a credentials or state folder)`;
  const base = parts[parts.length - 1]!;
  if (ENV_TEMPLATES.test(base)) return undefined;
  if (SECRET_BASENAMES.some((re) => re.test(base))) return `is a secret store or key file (${base})`;
  return undefined;
}

/** Normalises a model-given path to forward slashes, or throws PATH_REFUSED with the reason. */
export function normaliseEditPath(rel: string): string {
  const refuse = (why: string): never => {
    throw new AimlError('PATH_REFUSED', `Refused path "${rel}": ${why}`);
  };
  if (typeof rel !== 'string' || !rel.trim()) refuse('it is empty');
  if (rel.includes('\0')) refuse('it contains a NUL byte');
  if (path.posix.isAbsolute(rel) || path.win32.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel)) refuse('absolute paths are not allowed; give a path relative to the workspace');
  const slashed = rel.replace(/\\/g, '/');
  const parts = slashed.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) refuse('".." segments are not allowed');
  if (parts.length === 0) refuse('it names the workspace itself');
  const clean = parts.join('/');
  const why = protectedReason(clean);
  if (why) refuse(`it ${why}; aiml never writes there`);
  return clean;
}

/**
 * A folder of the workspace a read tool is limited to: undefined for the root however it is
 * written ("", ".", "./", "/"), else the path as normaliseEditPath gives it (refused the same way).
 */
export function normaliseFolder(rel: string | undefined): string | undefined {
  if (rel === undefined || /^\s*(\.?\/?)\s*$/.test(rel)) return undefined;
  return normaliseEditPath(rel);
}

/**
 * Validates `rel` for writing inside `root` and returns the absolute path. Refuses symbolic links
 * at the target and any existing ancestor that resolves outside the workspace.
 */
export function resolveEditPath(root: string, rel: string): { rel: string; abs: string } {
  const clean = normaliseEditPath(rel);
  const realRoot = fs.realpathSync(root);
  const abs = path.join(realRoot, clean);
  let probe = abs;
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(probe);
    } catch {
      st = undefined;
    }
    if (st) {
      if (st.isSymbolicLink()) {
        if (probe === abs) throw new AimlError('PATH_REFUSED', `Refused path "${rel}": it is a symbolic link; aiml does not write through links`);
        const real = fs.realpathSync(probe);
        if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
          throw new AimlError('PATH_REFUSED', `Refused path "${rel}": ${path.relative(realRoot, probe)} is a symbolic link leading outside the workspace (${real})`);
        }
      }
      if (probe === abs && !st.isFile()) throw new AimlError('PATH_REFUSED', `Refused path "${rel}": it exists and is not a regular file`);
    }
    if (probe === realRoot) break;
    probe = path.dirname(probe);
  }
  return { rel: clean, abs };
}

/**
 * Validates `rel` for reading inside `root`: the same refusals as writing (no `..`, no absolute
 * path, no repository internals or secret stores), and a symbolic link may be read only when
 * it resolves inside the workspace to a path that is not protected either.
 */
export function resolveReadPath(root: string, rel: string): { rel: string; abs: string } {
  const clean = normaliseEditPath(rel);
  const realRoot = fs.realpathSync(root);
  let real: string;
  try {
    real = fs.realpathSync(path.join(realRoot, clean));
  } catch {
    throw new AimlError('NOT_FOUND', `"${clean}" does not exist in the workspace`);
  }
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw new AimlError('PATH_REFUSED', `Refused path "${rel}": it leads outside the workspace`);
  const target = path.relative(realRoot, real).split(path.sep).join('/');
  const why = target ? protectedReason(target) : undefined;
  if (why) throw new AimlError('PATH_REFUSED', `Refused path "${rel}": it leads to ${target}, which ${why}`);
  return { rel: clean, abs: real };
}
