import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../../errors';
import { mapWorkspace } from '../options';

/** The absolute path of a folder given on the command line, or a clear USAGE error. */
export function existingDir(dir: string): string {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs)) throw new AimlError('USAGE', `Directory ${abs} does not exist`);
  if (!fs.statSync(abs).isDirectory()) throw new AimlError('USAGE', `${abs} is not a directory`);
  return abs;
}

/** The absolute path of a file given on the command line, or a clear USAGE error. */
export function existingFile(file: string): string {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new AimlError('USAGE', `File ${abs} does not exist`);
  if (!fs.statSync(abs).isFile()) throw new AimlError('USAGE', `${abs} is not a file`);
  return abs;
}

/** A folder's path as the worker that ingests it sees it (`AIML_WORKSPACE_MAP`). */
export function workerDir(abs: string, env: NodeJS.ProcessEnv): string {
  return mapWorkspace(abs, env.AIML_WORKSPACE_MAP, 'The folder');
}
