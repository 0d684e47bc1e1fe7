import type { ToolCall, ToolDefinition } from '../../llm/gateway';
import type { EmbeddingProvider } from '../../rag/embed/provider';
import type { Refiner } from '../../rag/refine';
import type { Redaction } from '../../security/secrets';
import type { PreparedFile } from '../../workspace/edits';

/**
 * The agent's tools, as seen by the loop that drives them. Tools are plain domain code: they know
 * nothing of Temporal. Each one parses the model's raw JSON arguments against a bounded schema
 * (a bad call is `{ ok: false }`, sent back to the model, never a throw), then:
 * - a `read` tool runs and returns text (workspace text passes through the secret redactor);
 * - an `edit` tool only PREPARES a change (nothing is written): the loop gates it and applies the
 *   prepared files through the journal (`src/workspace/apply.ts`);
 * - the `command` tool names the command to run: the loop checks its policy
 *   (`matchesAllowList`), gates it if needed, then runs it through the sandbox
 *   (`runSandboxed` in `src/workspace/sandbox.ts`);
 * - the `finish` tool ends the step with the model's summary.
 */

export type ToolKind = 'read' | 'edit' | 'command' | 'finish';

export interface KbHit {
  source: string;
  text: string;
}

/**
 * The local models search_code ranks by meaning with (code-index.ts): a fast embedder for every
 * chunk of the workspace (the static model), and a stronger model that scores the top candidates
 * again (MiniLM). Never a remote API: the workspace's code does not leave the worker for this.
 */
export interface CodeModels {
  embedder: EmbeddingProvider;
  refiner?: Refiner;
  /** Hears when the models fail and search_code falls back to words (the worker logs it). */
  notice?: (line: string) => void;
}

export interface ToolContext {
  /** Absolute path of the workspace the tools see (the real one, or a shadow copy). */
  workspace: string;
  signal: AbortSignal;
  /** The run's knowledge base, when it has one (kb_search is offered only then). */
  kbSearch?: (query: string, k: number) => Promise<KbHit[]>;
  /** Local models for search_code; without them it ranks by words alone. */
  codeModels?: CodeModels;
}

export type ParseResult<A> = { ok: true; args: A } | { ok: false; error: string };

interface ToolBase<A> {
  name: string;
  description: string;
  kind: ToolKind;
  /** JSON schema sent to the model (strings and arrays bounded). */
  parameters: Record<string, unknown>;
  /** `raw` is the model's JSON argument text, unparsed. */
  parse(raw: string): ParseResult<A>;
  /** A short line for the UI and `aiml watch`, e.g. `grep "EmbeddingProvider"`. */
  summary(args: A): string;
}

/** A read tool's answer. `summary` adds the outcome, e.g. `grep "EmbeddingProvider" · 7 hits`. */
export type ReadResult = { ok: true; output: string; summary: string; redactions: Redaction[] } | { ok: false; error: string };

/** A prepared edit: the files' exact before/after (hashes included), their unified diff, nothing written. */
export type EditResult = { ok: true; files: PreparedFile[]; diff: string; summary: string } | { ok: false; error: string };

export interface ReadTool<A> extends ToolBase<A> {
  kind: 'read';
  run(args: A, ctx: ToolContext): Promise<ReadResult>;
}

export interface EditTool<A> extends ToolBase<A> {
  kind: 'edit';
  prepare(args: A, ctx: ToolContext): Promise<EditResult>;
}

/** What the model asked to run; the loop decides whether and when. */
export interface CommandRequest {
  command: string;
  timeoutMs: number;
}

export interface CommandTool<A> extends ToolBase<A> {
  kind: 'command';
  request(args: A): CommandRequest;
}

export interface FinishTool<A> extends ToolBase<A> {
  kind: 'finish';
  /** The step summary the model gave. */
  result(args: A): { summary: string };
}

// Method syntax keeps the argument type bivariant, so every concrete tool fits these unions.
export type AgentTool<A = unknown> = ReadTool<A> | EditTool<A> | CommandTool<A> | FinishTool<A>;

/** Arguments of the concrete tools (after parsing). */
export interface ReadFileArgs {
  path: string;
  /** 1-based, inclusive; default the first line. */
  start_line?: number;
  /** 1-based, inclusive; default as far as the size cap allows. */
  end_line?: number;
}
export interface ListFilesArgs {
  /** A glob such as `src/**\/*.ts`; default every file. */
  pattern?: string;
  /** A folder to list under; default the workspace root. */
  path?: string;
}
export interface GrepArgs {
  /** A JavaScript regular expression. */
  pattern: string;
  /** Only files matching this glob. */
  glob?: string;
  /** Only under this folder. */
  path?: string;
  case_insensitive?: boolean;
}
export interface SearchCodeArgs {
  query: string;
  /** Only under this folder. */
  path?: string;
  k?: number;
}
export interface KbSearchArgs {
  query: string;
  k?: number;
}
export interface WriteFileArgs {
  path: string;
  content: string;
}
export interface EditFileArgs {
  path: string;
  old_text: string;
  new_text: string;
}
export interface MultiEditArgs {
  path: string;
  edits: { old_text: string; new_text: string }[];
}
export interface RunCommandArgs {
  command: string;
  timeout_seconds?: number;
}
export interface FinishStepArgs {
  summary: string;
}

/** Caps that keep every tool result small enough for the conversation. */
export interface ToolLimits {
  readMaxLines: number;
  readMaxChars: number;
  listMaxFiles: number;
  grepMaxHits: number;
  grepMaxLineChars: number;
  grepTimeoutMs: number;
  kbMaxK: number;
  searchMaxK: number;
  /** How long search_code waits for the workspace's background embedding before ranking by words. */
  searchEmbedWaitMs: number;
  commandDefaultTimeoutMs: number;
  commandMaxTimeoutMs: number;
}

export interface AgentToolsOptions {
  /** Offer kb_search (the run has a knowledge base; `ToolContext.kbSearch` serves it). */
  knowledgeBase?: boolean;
  limits?: Partial<ToolLimits>;
}

/** `agentTools(opts)` in `./registry`: the tools by name and the definitions sent to the model. */
export interface AgentToolset {
  tools: ReadonlyMap<string, AgentTool>;
  definitions: ToolDefinition[];
  /** Finds the tool and parses its arguments; an unknown tool or bad arguments is `{ ok: false }`. */
  parseCall(call: ToolCall): { ok: true; tool: AgentTool; args: unknown } | { ok: false; error: string };
}

// ---- run_command: the sandbox (`runSandboxed` in src/workspace/sandbox.ts) ----

export interface SandboxOptions {
  workspace: string;
  /** Run by `/bin/sh -c`. */
  command: string;
  timeoutMs: number;
  /** Characters of output kept (head and tail); default 30 000. */
  maxOutputChars?: number;
  signal?: AbortSignal;
  /** Extra environment on top of the allow-listed one (never credentials). */
  env?: Record<string, string>;
  /** `deny` (default): no network where the OS allows it (see `networkIsolation()`). */
  network?: 'deny' | 'allow';
  /**
   * Durability markers: `started` is written to `<dir>/<callId>.started` before the command
   * runs and the result to `<dir>/<callId>.finished` after. A call that finds `started` without
   * `finished` does not run the command again: it returns status `interrupted`; one that finds
   * `finished` returns the recorded result.
   */
  state?: { dir: string; callId: string };
  /** Called as output arrives (for heartbeats), with the bytes seen so far. */
  onOutput?: (bytes: number) => void;
  /** Names the output in redaction records; default `command output`. */
  outputSource?: string;
}

export type CommandStatus = 'exited' | 'timed_out' | 'cancelled' | 'interrupted';

export interface CommandResult {
  command: string;
  status: CommandStatus;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** Combined stdout and stderr, head and tail kept within the cap, secrets redacted. */
  output: string;
  /** Bytes the command printed in all. */
  outputBytes: number;
  truncated: boolean;
  redactions: Redaction[];
  /** Whether the command ran without network: `isolated`, or why not. */
  network: string;
  /** e.g. `run_command npm test · exit 1 · 4.2 s`. */
  summary: string;
}
