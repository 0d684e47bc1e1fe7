import path from 'node:path';
import { Context } from '@temporalio/activity';
import { wrapCheckOutput, wrapToolOutput } from '../agent/prompt';
import { agentTools } from '../agent/tools/registry';
import { codeIndex } from '../agent/tools/code-index';
import { renderLeads, stepQuery, LEAD_COUNT } from '../agent/leads';
import type { BuildPlan } from '../builder/schemas';
import { shownAlready } from '../design/context';
import type { AgentTool, ToolContext } from '../agent/tools/types';
import { netChanges } from '../builder/net-changes';
import { AimlError, isAimlError } from '../errors';
import { applyChanges, conflictMessage, type Conflict } from '../workspace/apply';
import { runCheck, truncateMiddle } from '../workspace/check';
import { diffStat, renderDiff } from '../workspace/diff';
import { Journal } from '../workspace/journal';
import { runSandboxed } from '../workspace/sandbox';
import type { Proposal } from './build-step';
import type {
  AgentApplyInput,
  AgentApplyOutput,
  AgentCheckInput,
  AgentCheckOutput,
  AgentCommandInput,
  AgentEditInput,
  AgentEditOutput,
  AgentLeadsInput,
  AgentLeadsOutput,
  AgentToolInput,
  AgentToolOutput,
} from './agent-types';
import { storeProposal, toolResult } from './agent-common';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';
import { summarizeRedactions, type Redaction, type RedactionSummary } from '../contracts/security';

/** How long finding a step's leads may index (the plan has usually indexed the workspace already), and wait for its embedding. */
const LEADS_BUDGET_MS = 15_000;
const LEADS_EMBED_WAIT_MS = 5_000;
/** A piece of at least this many characters found word for word in the spec is the spec's file, not a lead. */
const LEAD_MIN_CHARS = 20;

/** The redaction summary of a tool's output, as a field to spread into its result (none: no field). */
function noted(redactions: Redaction[]): { redactions?: RedactionSummary } {
  const summary = summarizeRedactions(redactions);
  return summary ? { redactions: summary } : {};
}

/**
 * The BUILD agent's tool calls, one activity each: read tools run; edits are prepared (and applied
 * through the journal when no gate holds them); commands run in the sandbox with durability
 * markers; the check runs at finish_step. Thin: the tools live in src/agent/tools.
 */

const CHECK_OUTPUT_FOR_MODEL = 12_000;

export function agentToolActivities(deps: ActivityDeps) {
  const ctxFor = (workspace: string, signal: AbortSignal, kb?: string): ToolContext => ({
    workspace,
    signal,
    kbSearch: kb && deps.retriever ? async (q, k) => (await deps.retriever!.search(kb, q, k)).map((s) => ({ source: `${s.path}${s.startLine ? `:${s.startLine}-${s.endLine}` : ''}`, text: s.text })) : undefined,
    codeModels: deps.codeModels,
  });
  /** Parses a call's stored arguments again (the turn activity validated them already). */
  const parsed = (call: { name: string; argsRef: string }, kb?: string): { tool: AgentTool; args: unknown } => {
    const p = agentTools({ knowledgeBase: Boolean(kb) }).parseCall({ id: 'x', name: call.name, arguments: deps.blobs.get(call.argsRef) });
    if (!p.ok) throw new AimlError('INPUT_INVALID', `Tool call ${call.name} does not parse: ${p.error}`);
    return p;
  };
  const journalOf = (workflowId: string): Journal => new Journal(deps.stateDir, workflowId);
  const stepDiff = (journal: Journal, step: number): { ref: string; stat: { added: number; removed: number } } => {
    const diff = renderDiff(netChanges(journal.read().entries.filter((e) => e.step === step), deps.blobs));
    return { ref: deps.blobs.put(diff), stat: diffStat(diff) };
  };

  /** Applies a proposal through the journal (hash-guarded, idempotent); a conflict writes nothing. */
  const applyProposal = async (workflowId: string, workspace: string, proposal: Proposal, seq: number) => {
    const journal = journalOf(workflowId);
    try {
      await applyChanges(workspace, proposal.files, deps.blobs, journal, { key: `step-${proposal.step}/edit-${seq}`, step: proposal.step, attempt: seq, at: new Date().toISOString() }, { pauseAfterWriteMs: deps.faults?.applyPauseMs });
      return { kind: 'applied' as const, ...stepDiff(journal, proposal.step) };
    } catch (err) {
      if (!isAimlError(err, 'FILE_CONFLICT')) throw err;
      const conflicts = (err.details?.conflicts ?? []) as Conflict[];
      return { kind: 'conflict' as const, conflicts };
    }
  };
  const conflictResult = (callId: string, conflicts: Conflict[]) => ({
    kind: 'conflict' as const,
    result: toolResult(deps, callId, `Not applied: ${conflictMessage(conflicts)} (someone else changed it). Read the file again and redo the edit on its current content.`),
    summary: `conflict: ${conflicts.map((c) => c.path).join(', ')}`,
    actualHashes: Object.fromEntries(conflicts.map((c) => [c.path, c.actualHash])),
  });

  return {
    /**
     * Where a step's code probably is, for its first message: search_code's first places for the
     * step, from the index the plan warmed. Never fails the step: no leads, and why, instead.
     */
    async agentLeads(input: AgentLeadsInput): Promise<AgentLeadsOutput> {
      return guarded(async (signal) => {
        const step = (JSON.parse(deps.blobs.get(input.planRef)) as BuildPlan).steps[input.step - 1];
        if (!step) throw new AimlError('INPUT_INVALID', `The plan has no step ${input.step}`);
        try {
          const { index, pending } = await codeIndex(input.workspace, signal, LEADS_BUDGET_MS, deps.codeModels, LEADS_EMBED_WAIT_MS);
          if (pending) return { summary: `no leads: ${pending} files still to index` };
          const spec = deps.blobs.get(input.specRef);
          const found = await index.searchHybrid(stepQuery(step), LEAD_COUNT + 4, undefined, deps.codeModels, signal);
          const ranking = found.ranking;
          const hits = found.hits.filter((h) => !shownAlready(h.chunk.text, spec, LEAD_MIN_CHARS)).slice(0, LEAD_COUNT);
          if (!hits.length) return { summary: 'no leads: nothing in the workspace matches the step' };
          return { leads: renderLeads(hits), summary: `${hits.length} places to look first, ${ranking === 'lexical' ? 'by words' : 'by meaning'}` };
        } catch (err) {
          if (signal.aborted) throw err;
          return { summary: `no leads: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300) };
        }
      });
    },

    async agentRead(input: AgentToolInput): Promise<AgentToolOutput> {
      return guarded(async (signal) => {
        const { tool, args } = parsed(input.call, input.kb);
        if (tool.kind !== 'read') throw new AimlError('INPUT_INVALID', `${tool.name} is not a read tool`);
        const res = await tool.run(args, ctxFor(input.workspace, signal, input.kb));
        if (!res.ok) return { ok: false, result: toolResult(deps, input.call.id, `Error: ${res.error}`), summary: `error: ${res.error.split('\n')[0]!.slice(0, 120)}`, chars: res.error.length };
        const text = wrapToolOutput(tool.name, res.summary, res.output);
        const redacted = res.redactions.length ? ` · ${res.redactions.length} secret(s) redacted` : '';
        return { ok: true, result: toolResult(deps, input.call.id, text), summary: `${res.summary}${redacted}`, chars: text.length, ...noted(res.redactions) };
      });
    },

    async agentEdit(input: AgentEditInput): Promise<AgentEditOutput> {
      return guarded(async (signal) => {
        const { tool, args } = parsed(input.call);
        if (tool.kind !== 'edit') throw new AimlError('INPUT_INVALID', `${tool.name} is not an edit tool`);
        const res = await tool.prepare(args, ctxFor(input.workspace, signal));
        if (!res.ok) return { kind: 'refused', result: toolResult(deps, input.call.id, `Error: ${res.error}`), summary: `refused: ${res.error.split('\n')[0]!.slice(0, 120)}` };
        // A file changed since aiml last saw it (by a person) is a conflict: nothing is written.
        const stale: Conflict[] = res.files.filter((f) => f.path in input.expected && input.expected[f.path] !== f.beforeHash).map((f) => ({ path: f.path, expectedHash: input.expected[f.path]!, actualHash: f.beforeHash }));
        if (stale.length) return conflictResult(input.call.id, stale);
        const p = storeProposal(deps, input.step, input.seq, res.summary, res.files, res.diff);
        const stat = `+${p.stat.added} -${p.stat.removed}`;
        if (!input.apply) return { kind: 'proposed', result: { toolCallId: input.call.id, text: '' }, summary: `${res.summary} (${stat}) · waiting for approval`, ...p };
        const applied = await applyProposal(input.workflowId, input.workspace, p.proposal, input.seq);
        if (applied.kind === 'conflict') return conflictResult(input.call.id, applied.conflicts);
        return { kind: 'applied', result: toolResult(deps, input.call.id, `Applied: ${res.summary} (${stat}).`), summary: `${res.summary} (${stat})`, ...p, appliedDiffRef: applied.ref };
      });
    },

    /** Applies a proposal a person approved (or a verified shadow step). */
    async agentApplyEdit(input: AgentApplyInput): Promise<AgentApplyOutput> {
      return guarded(async () => {
        const proposal = JSON.parse(deps.blobs.get(input.proposalRef)) as Proposal;
        const applied = await applyProposal(input.workflowId, input.workspace, proposal, input.seq);
        if (applied.kind === 'conflict') return conflictResult(input.callId, applied.conflicts);
        const paths = proposal.files.map((f) => f.path).join(', ');
        return {
          kind: 'applied',
          result: toolResult(deps, input.callId, `Approved and applied: ${paths}.`),
          summary: `applied ${paths}`.slice(0, 200),
          afterHashes: Object.fromEntries(proposal.files.map((f) => [f.path, f.afterHash])),
          appliedDiffRef: applied.ref,
          stat: applied.stat,
        };
      });
    },

    /** run_command in the sandbox; a retry after a crash mid-command reports it interrupted, never runs it twice. */
    async agentCommand(input: AgentCommandInput): Promise<AgentToolOutput> {
      return guarded(async (signal) => {
        const { tool, args } = parsed(input.call);
        if (tool.kind !== 'command') throw new AimlError('INPUT_INVALID', `${tool.name} is not the command tool`);
        const req = tool.request(args);
        let ctx: Context | undefined;
        try {
          ctx = Context.current();
        } catch {
          ctx = undefined;
        }
        const res = await runSandboxed({
          workspace: input.workspace,
          command: req.command,
          timeoutMs: Math.min(req.timeoutMs, input.timeoutMs),
          signal,
          state: { dir: path.join(deps.stateDir, 'commands', input.workflowId.replace(/[^\w.-]/g, '_')), callId: input.call.key },
          onOutput: (bytes: number) => ctx?.heartbeat({ bytes }),
        });
        const head =
          res.status === 'interrupted'
            ? 'Run it again if you need its result.'
            : `exit ${res.exitCode ?? res.signal}${res.status === 'timed_out' ? ' (timed out)' : ''} · ${(res.durationMs / 1000).toFixed(1)} s${res.truncated ? ' · output shortened (head and tail kept)' : ''}`;
        const text = wrapToolOutput('run_command', `$ ${req.command}`, res.status === 'interrupted' ? `${res.output}. ${head}` : `${head}\n${res.output}`);
        return { ok: res.status === 'exited' && res.exitCode === 0, result: toolResult(deps, input.call.id, text), summary: res.status === 'interrupted' ? 'interrupted' : res.summary.replace(/^run_command\s+.*?·\s*/, ''), chars: text.length, ...noted(res.redactions) };
      }, 2000);
    },

    /** The step's check, at finish_step: whole output to the blob store, an excerpt to history, the rest for the model. */
    async agentCheck(input: AgentCheckInput): Promise<AgentCheckOutput> {
      return guarded(async (signal) => {
        const res = await runCheck({ workspace: input.workspace, command: input.command, timeoutMs: input.timeoutMs, signal });
        const header = `$ ${input.command}\n[exit ${res.exitCode ?? res.signal}${res.timedOut ? ', timed out' : ''}${res.truncated ? ', output truncated' : ''}, ${res.durationMs} ms]\n`;
        return {
          check: { passed: res.passed, exitCode: res.exitCode, timedOut: res.timedOut, excerpt: truncateMiddle(res.output.trim(), 1500), outputRef: deps.blobs.put(header + res.output) },
          result: toolResult(deps, '', wrapCheckOutput(input.command, truncateMiddle(header + res.output, CHECK_OUTPUT_FOR_MODEL))),
          ...noted(res.redactions),
        };
      }, 1000);
    },
  };
}
