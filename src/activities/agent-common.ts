import { diffStat } from '../workspace/diff';
import type { PreparedFile } from '../workspace/edits';
import type { Proposal, ProposalFile } from './build-step';
import type { ToolResult } from './agent-types';
import type { ActivityDeps } from './deps';

/** Tool results shorter than this travel inline in history; longer ones as blob refs. */
export const INLINE_RESULT_CHARS = 1024;

/** A tool result for the next turn: short text inline, long text by reference. */
export function toolResult(deps: ActivityDeps, toolCallId: string, text: string): ToolResult {
  return text.length <= INLINE_RESULT_CHARS ? { toolCallId, text } : { toolCallId, ref: deps.blobs.put(text) };
}

/** A prepared change stored as a proposal (contents by reference), with its diff: what a gate shows and apply writes. */
export function storeProposal(deps: ActivityDeps, step: number, seq: number, summary: string, files: PreparedFile[], diff: string) {
  const pfiles: ProposalFile[] = files.map((f) => ({
    path: f.path,
    change: f.before === null ? 'created' : f.after === null ? 'deleted' : 'modified',
    why: f.why || summary,
    beforeHash: f.beforeHash,
    afterHash: f.afterHash,
    beforeRef: f.before === null ? null : deps.blobs.put(f.before),
    afterRef: f.after === null ? null : deps.blobs.put(f.after),
  }));
  const proposal: Proposal = { step, attempt: seq, meta: { summary, keyImplementations: [], interfaces: [], dependencies: [], configuration: [], usage: '' }, files: pfiles };
  return {
    proposal,
    proposalRef: deps.blobs.put(JSON.stringify(proposal)),
    diffRef: deps.blobs.put(diff),
    files: pfiles.map((f) => ({ path: f.path, change: f.change })),
    stat: diffStat(diff),
    afterHashes: Object.fromEntries(pfiles.map((f) => [f.path, f.afterHash])),
  };
}
