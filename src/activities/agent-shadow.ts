import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AimlError } from '../errors';
import { renderDiff } from '../workspace/diff';
import { formatProblems, prepareEdits, readText, type FileEdit } from '../workspace/edits';
import { createShadow } from '../workspace/shadow';
import type { AgentEditOutput, PromoteInput, ShadowInput } from './agent-types';
import { storeProposal, toolResult } from './agent-common';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';

/**
 * `--verify shadow`: a step works in a throwaway copy of the workspace; when its check passes
 * there, its net change (the files it touched, shadow content over workspace content) becomes one
 * proposal for the real workspace, validated like any edit and applied through the journal.
 */
export function agentShadowActivities(deps: ActivityDeps) {
  return {
    async agentShadow(input: ShadowInput): Promise<{ dir: string }> {
      return guarded(async () => {
        const parent = path.join(deps.stateDir, 'shadows');
        fs.mkdirSync(parent, { recursive: true });
        return { dir: createShadow(input.workspace, { parent }).dir };
      });
    },

    async agentShadowDispose(input: { workspace: string; dir: string }): Promise<void> {
      return guarded(async () => {
        // Another worker may have made it: remove the folder, and forget it if it was a git worktree.
        fs.rmSync(input.dir, { recursive: true, force: true });
        spawnSync('git', ['-C', input.workspace, 'worktree', 'prune'], { stdio: 'ignore' });
      });
    },

    async agentPromote(input: PromoteInput): Promise<AgentEditOutput> {
      return guarded(async () => {
        if (!path.isAbsolute(input.shadowDir)) throw new AimlError('INPUT_INVALID', `The shadow folder must be absolute: ${input.shadowDir}`);
        const edits: FileEdit[] = input.paths.map((p) => {
          const read = readText(path.join(input.shadowDir, p), Number.MAX_SAFE_INTEGER);
          return read.text === null ? { path: p, action: 'delete', why: 'verified in the shadow copy' } : { path: p, action: 'write', content: read.text, why: 'verified in the shadow copy' };
        });
        const prepared = prepareEdits(input.workspace, edits.filter((e) => e.action !== 'delete' || fs.existsSync(path.join(input.workspace, e.path))));
        const id = `promote-${input.seq}`;
        if (prepared.problems.length) return { kind: 'refused', result: toolResult(deps, id, `The verified step could not be prepared for the workspace:\n${formatProblems(prepared.problems)}`), summary: 'refused' };
        const stale = prepared.files.filter((f) => f.path in input.expected && input.expected[f.path] !== f.beforeHash);
        if (stale.length) {
          return {
            kind: 'conflict',
            result: toolResult(deps, id, `Not applied: ${stale.map((f) => f.path).join(', ')} changed in the workspace since aiml last saw it. Read them again.`),
            summary: 'conflict',
            actualHashes: Object.fromEntries(stale.map((f) => [f.path, f.beforeHash])),
          };
        }
        const p = storeProposal(deps, input.step, input.seq, 'verified step', prepared.files, renderDiff(prepared.files));
        return { kind: 'proposed', result: { toolCallId: id, text: '' }, summary: `${p.files.length} file(s) verified`, ...p };
      });
    },
  };
}
