import { AimlError } from '../errors';
import { stateDir } from '../paths';
import { loadRagConfig } from '../rag/config';
import { openKbRegistry, type KbRegistry } from '../rag/registry';
import type { CliContext } from './context';

/** The knowledge bases of this state folder, with this environment's embedding model and store. */
export function kbRegistry(ctx: CliContext): KbRegistry {
  const rag = loadRagConfig(ctx.env);
  return openKbRegistry(stateDir(ctx.env), rag, (line) => void process.stderr.write(`aiml: ${line}\n`));
}

/**
 * A run's `--kb`, checked before the run starts: a name this host does not have would fail the
 * run's first step. With Qdrant another host's knowledge base may be there: the run finds out.
 */
export function checkRunKb(ctx: CliContext, name: string): void {
  const reg = kbRegistry(ctx);
  if (reg.sharesStore || reg.exists(name)) return;
  const all = reg.list().map((k) => k.name);
  const known = all.length ? `the knowledge bases here: ${all.join(', ')}` : 'there is none here yet';
  throw new AimlError('KB_NOT_FOUND', `Knowledge base "${name}" does not exist (${known}); create it with: aiml kb add <dir> --kb ${name}`);
}
