import path from 'node:path';

/** The project root (where package.json lives), whether running from src/ or dist/. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/**
 * The project-local state folder: Temporal binary, dev-server database, content-addressed blobs,
 * embedded vector stores. `AIML_HOME` moves it.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.AIML_HOME ?? path.join(PROJECT_ROOT, '.aiml'));
}
