import type { ToolDefinition } from '../../llm/gateway';
import { editFileTool, multiEditTool, writeFileTool } from './edit-tools';
import { finishStepTool } from './finish-step';
import { grepTool } from './grep';
import { CODE_INDEX_EMBED_WAIT_MS } from './code-index';
import { kbSearchTool } from './kb-search';
import { listFilesTool } from './list-files';
import { readFileTool } from './read-file';
import { runCommandTool } from './run-command';
import { searchCodeTool } from './search-code';
import type { AgentTool, AgentToolset, AgentToolsOptions, ToolLimits } from './types';

export const DEFAULT_TOOL_LIMITS: ToolLimits = {
  readMaxLines: 400,
  readMaxChars: 40_000,
  listMaxFiles: 500,
  grepMaxHits: 100,
  grepMaxLineChars: 300,
  grepTimeoutMs: 5000,
  kbMaxK: 10,
  searchMaxK: 10,
  searchEmbedWaitMs: CODE_INDEX_EMBED_WAIT_MS,
  commandDefaultTimeoutMs: 120_000,
  commandMaxTimeoutMs: 900_000,
};

/** The agent's tools for one run: kb_search only when the run has a knowledge base. */
export function agentTools(opts: AgentToolsOptions = {}): AgentToolset {
  const limits = { ...DEFAULT_TOOL_LIMITS, ...opts.limits };
  const list: AgentTool[] = [
    readFileTool(limits),
    listFilesTool(limits),
    grepTool(limits),
    searchCodeTool(limits),
    ...(opts.knowledgeBase ? [kbSearchTool(limits)] : []),
    writeFileTool(),
    editFileTool(),
    multiEditTool(),
    runCommandTool(limits),
    finishStepTool(),
  ];
  const tools = new Map(list.map((t) => [t.name, t]));
  const definitions: ToolDefinition[] = list.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  return {
    tools,
    definitions,
    parseCall(call) {
      const tool = tools.get(call.name);
      if (!tool) return { ok: false, error: `there is no tool named "${call.name}"; the tools are: ${[...tools.keys()].join(', ')}` };
      const parsed = tool.parse(call.arguments);
      return parsed.ok ? { ok: true, tool, args: parsed.args } : { ok: false, error: `${call.name}: ${parsed.error}` };
    },
  };
}
