import { agentTools } from '../../../src/agent/tools/registry';
import type { AgentTool, ToolContext } from '../../../src/agent/tools/types';

export const toolset = agentTools({ knowledgeBase: true, limits: { readMaxLines: 50, listMaxFiles: 5, grepMaxHits: 3, grepTimeoutMs: 3000 } });

export function ctxFor(workspace: string, extra: Partial<ToolContext> = {}): ToolContext {
  return { workspace, signal: new AbortController().signal, ...extra };
}

/** Parses `args` as the model would send them and runs a read tool; a parse failure is returned as is. */
export async function callRead(name: string, args: unknown, ctx: ToolContext): Promise<{ ok: boolean; output?: string; error?: string; summary?: string; redactions?: unknown[] }> {
  const parsed = toolset.parseCall({ id: 'c1', name, arguments: JSON.stringify(args) });
  if (!parsed.ok) return parsed;
  const tool = parsed.tool as AgentTool;
  if (tool.kind !== 'read') throw new Error(`${name} is not a read tool`);
  return tool.run(parsed.args, ctx);
}
