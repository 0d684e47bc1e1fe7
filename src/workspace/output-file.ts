import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../errors';
import { writeFileIfChanged } from '../storage/files';
import { resolveEditPath } from './paths';
import { stripControlChars } from './sanitize';

/**
 * Files aiml renders into the workspace (SPECS.md, the build report). Each ends with a stamp
 * holding the hash of what aiml wrote, so aiml can tell its own, unchanged file (safe to
 * replace) from a file a person wrote or edited since (never replaced without `force`).
 */

const STAMP = /\n<!-- aiml: sha256 ([0-9a-f]{64}); edits are kept: aiml will not overwrite this file once it changes -->\n$/;
const sha256 = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

/** The text aiml writes: sanitized, then stamped with its own hash. */
export function stampOutput(text: string): string {
  const body = stripControlChars(text).replace(/\n*$/, '\n');
  return `${body}\n<!-- aiml: sha256 ${sha256(body)}; edits are kept: aiml will not overwrite this file once it changes -->\n`;
}

/** `absent`; `aiml`: written by aiml and unchanged since; `user`: anything else. */
export type OutputOwner = 'absent' | 'aiml' | 'user';

export function outputOwner(content: string | undefined): OutputOwner {
  if (content === undefined) return 'absent';
  const m = STAMP.exec(content);
  return m && sha256(content.slice(0, m.index)) === m[1] ? 'aiml' : 'user';
}

export interface OutputTarget {
  /** Absolute path, under the workspace path given. */
  path: string;
  owner: OutputOwner;
  /** True when a user's file will be replaced because `force` was given. */
  forced: boolean;
}

/**
 * Checks where an output file would go, without writing: inside the workspace, not through a
 * symbolic link, not a secret store (PATH_REFUSED), and not a file the user wrote or changed
 * unless `force` (OUTPUT_EXISTS). Run before a gate, so nobody approves a run that cannot finish.
 */
export function checkOutputTarget(workspace: string, file: string, force = false): OutputTarget {
  if (!fs.existsSync(workspace)) throw new AimlError('INPUT_INVALID', `The workspace ${workspace} does not exist`);
  const { abs, rel } = resolveEditPath(workspace, file);
  let content: string | undefined;
  try {
    content = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const owner = outputOwner(content);
  if (owner === 'user' && !force) {
    throw new AimlError(
      'OUTPUT_EXISTS',
      `${rel} already exists in ${workspace} and aiml did not write it (or it was changed since aiml did): refusing to overwrite it. ` +
        'Move or commit it elsewhere, choose another file name, or start the run with --force (input "force": true) to replace it.',
    );
  }
  return { path: path.join(path.resolve(workspace), rel), owner, forced: owner === 'user' };
}

/** Checks the target again (it may have changed while a gate waited), then writes the stamped text. */
export function writeOutputFile(workspace: string, file: string, text: string, force = false): OutputTarget & { text: string; sha256: string; bytes: number; unchanged: boolean } {
  const target = checkOutputTarget(workspace, file, force);
  const stamped = stampOutput(text);
  const { unchanged } = writeFileIfChanged(target.path, stamped);
  return { ...target, text: stamped, sha256: sha256(stamped), bytes: Buffer.byteLength(stamped), unchanged };
}
