import fs from 'node:fs';
import path from 'node:path';
import { log } from '@temporalio/activity';
import type { ArchitectureDraft } from '../contracts/design';
import { callUsage, type GateDecision, type Usage } from '../contracts/run';
import type { ProviderUse } from '../contracts/llm';
import { architectureJsonSchema, ArchitectureDraftSchema, semanticProblems } from '../design/architecture';
import { summarizeRedactions, type RedactionSummary } from '../contracts/security';
import type { ContextRanking } from '../contracts/run-details';
import { contextRedactions, fitContext, renderContext, type DesignContext } from '../design/context';
import { draftMessages } from '../design/prompts';
import { draftDigest, renderSpec } from '../design/render';
import { AimlError } from '../errors';
import { chatStructured } from '../llm/structured';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';
import { promptRoomChars } from './prompt-room';
import { designContextQuery, workspaceContext } from '../design/workspace-context';
import { kbSnippets } from './kb-snippets';
import { writeOutputFile } from '../workspace/output-file';

export interface GatherContextInput {
  brief: string;
  workspace: string;
  kb?: string;
}

export interface GatherContextOutput {
  contextRef: string;
  files: string[];
  kbHits: number;
  chars: number;
  /** How the workspace files were chosen: by meaning (the worker's local models) or by words. */
  ranking?: ContextRanking;
  /** Credentials removed from the gathered text (rules and places, never values). */
  redactions?: RedactionSummary;
}

export interface DraftInput {
  brief: string;
  /** Context gathered by an earlier round; without it the activity gathers it first. */
  contextRef?: string;
  /** Where to gather from, when there is no contextRef yet. */
  gather?: { workspace: string; kb?: string };
  round: number;
  feedback?: string;
  previousDraft?: ArchitectureDraft;
  model?: string;
}

export interface DraftOutput {
  /** What was gathered (the first round only). */
  context?: GatherContextOutput;
  draft: ArchitectureDraft;
  digest: string;
  usage: Usage;
  repaired: boolean;
  model: string;
  /** Which provider answered, and why those before it were skipped. */
  provider?: ProviderUse;
}

export interface WriteSpecInput {
  workspace: string;
  specFile: string;
  brief: string;
  draft: ArchitectureDraft;
  decisions: GateDecision[];
  /** Replace a spec file the user wrote or changed. */
  force?: boolean;
}

export interface WriteSpecOutput {
  path: string;
  sha256: string;
  bytes: number;
  unchanged: boolean;
}

/** Workspace files the brief touches, plus knowledge-base hits, stored as one blob. */
async function gatherContext(deps: ActivityDeps, input: GatherContextInput, signal: AbortSignal): Promise<GatherContextOutput> {
  if (!input.brief?.trim()) throw new AimlError('INPUT_INVALID', 'The brief is empty');
  const { query, opts } = designContextQuery(input.brief);
  const found = await workspaceContext(deps, input.workspace, query, opts, signal);
  if (found.why) log.info('workspace context ranked by words', { why: found.why });
  const ctx: DesignContext = { files: found.files, kb: [] };
  ctx.kb = await kbSnippets(deps, input.kb, query.parts, 8);
  const text = renderContext(ctx);
  const redactions = summarizeRedactions(contextRedactions(ctx));
  return { contextRef: deps.blobs.put(text), files: ctx.files.map((f) => f.path), kbHits: ctx.kb.length, chars: text.length, ranking: found.ranking, ...(redactions ? { redactions } : {}) };
}

/** How many characters of context the draft prompt has room for in the design model's window, after its answer and the rest of the prompt. */
function draftContextChars(deps: ActivityDeps, input: DraftInput): number {
  return promptRoomChars(deps, 'design', input.model, draftMessages({ brief: input.brief, context: '', feedback: input.feedback, previousDraft: input.previousDraft }));
}

export function designActivities(deps: ActivityDeps) {
  return {
    /** Drafts the architecture; the first round gathers its context in the same activity (one round trip less). */
    async draftArchitecture(input: DraftInput): Promise<DraftOutput> {
      return guarded(async (signal, tap) => {
        let gathered: GatherContextOutput | undefined;
        if (!input.contextRef) {
          if (!input.gather) throw new AimlError('INPUT_INVALID', 'draftArchitecture needs a contextRef or a workspace to gather from');
          gathered = await gatherContext(deps, { brief: input.brief, ...input.gather }, signal);
        }
        const whole = deps.blobs.get(input.contextRef ?? gathered!.contextRef);
        const context = fitContext(whole, draftContextChars(deps, input));
        if (context !== whole) log.info('context cut to fit the model window', { chars: whole.length, kept: context.length });
        const result = await chatStructured(
          deps.llm,
          {
            messages: draftMessages({ brief: input.brief, context, feedback: input.feedback, previousDraft: input.previousDraft }),
            model: input.model,
            schemaName: 'architecture_draft',
            purpose: 'design',
            jsonSchema: architectureJsonSchema(),
            temperature: 0.2,
            signal,
            stream: tap,
          },
          ArchitectureDraftSchema,
          semanticProblems,
        );
        if (result.repaired) log.warn('draft needed a repair request', { round: input.round });
        return {
          context: gathered,
          draft: result.value,
          digest: draftDigest(result.value),
          usage: callUsage(result.usage, result.calls, result.latencyMs),
          repaired: result.repaired,
          model: result.provider?.model ?? input.model ?? deps.llm.model,
          ...(result.provider ? { provider: result.provider } : {}),
        };
      });
    },

    /** Reads the workspace (and knowledge base) for a draft: host work, so routed runs run it on the workspace's host. */
    async gatherDesignContext(input: GatherContextInput): Promise<GatherContextOutput> {
      return guarded((signal) => gatherContext(deps, input, signal));
    },

    async writeSpec(input: WriteSpecInput): Promise<WriteSpecOutput> {
      return guarded(async () => {
        const text = renderSpec(input.draft, { brief: input.brief, decisions: input.decisions });
        const out = writeOutputFile(input.workspace, input.specFile, text, input.force);
        return { path: out.path, sha256: out.sha256, bytes: out.bytes, unchanged: out.unchanged };
      });
    },

    async sendReminder(input: { workflowId: string; gate: string; waitedMs: number; approveCommand: string; reminder: number }): Promise<void> {
      const line = { at: new Date().toISOString(), ...input };
      log.info('approval reminder', line);
      fs.mkdirSync(deps.stateDir, { recursive: true });
      fs.appendFileSync(path.join(deps.stateDir, 'reminders.jsonl'), `${JSON.stringify(line)}\n`);
    },
  };
}
