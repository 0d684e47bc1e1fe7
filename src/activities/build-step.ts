import type { StepCheck } from '../contracts/build';
import { callUsage, type Usage } from '../contracts/run';
import { netChanges } from '../builder/net-changes';
import { stepMessages } from '../builder/prompts';
import { STEP_RELATED, stepContext } from '../builder/retrieve';
import { stepQuery } from '../agent/leads';
import { workspaceContext } from '../design/workspace-context';
import { stepEditsJsonSchema, StepEditsSchema, toFileEdits, type BuildPlan, type StepEdits } from '../builder/schemas';
import { log } from '@temporalio/activity';
import { AimlError, isAimlError } from '../errors';
import { chatStructured } from '../llm/structured';
import type { ProviderUse } from '../contracts/llm';
import { applyChanges, conflictMessage, currentHash, type Conflict, type PlannedChange } from '../workspace/apply';
import { runCheck, truncateMiddle } from '../workspace/check';
import { summarizeRedactions, type RedactionSummary } from '../contracts/security';
import { diffStat, renderDiff } from '../workspace/diff';
import { formatProblems, prepareEdits } from '../workspace/edits';
import { Journal } from '../workspace/journal';
import { normaliseEditPath } from '../workspace/paths';
import type { ActivityDeps } from './deps';
import { kbSnippets } from './kb-snippets';
import { guarded } from './failures';
import { promptRoomChars } from './prompt-room';

/** BUILD step activities: generate a step's edits (validated, diffed), apply them and run the check. */

export interface GenerateStepInput {
  workspace: string;
  specRef: string;
  planRef: string;
  step: number;
  attempt: number;
  checkCommand: string | null;
  /** Hashes aiml expects files to have (plan time, or after its own edits). */
  expected: Record<string, string | null>;
  feedback?: string;
  problems?: string;
  checkOutputRef?: string;
  model?: string;
  kb?: string;
}

export interface ProposalFile extends PlannedChange {
  change: 'created' | 'modified' | 'deleted';
  why: string;
}

export interface Proposal {
  step: number;
  attempt: number;
  meta: Omit<StepEdits, 'edits'>;
  files: ProposalFile[];
}

export type GenerateStepOutput = (
  | { kind: 'proposal'; proposalRef: string; diffRef: string; files: { path: string; change: ProposalFile['change'] }[]; stat: { added: number; removed: number }; summary: string; usage: Usage }
  | { kind: 'refused'; problems: string; usage: Usage }
  | { kind: 'conflict'; conflicts: Conflict[]; message: string; usage: Usage }
) & {
  /** Credentials removed from the step's context (rules and places, never values). */
  redactions?: RedactionSummary;
  /** Which provider answered, and why those before it were skipped. */
  provider?: ProviderUse;
};

export interface ApplyStepInput {
  workflowId: string;
  workspace: string;
  proposalRef: string;
  step: number;
  attempt: number;
  /** Run after the edits are in place. */
  check?: { command: string; timeoutMs: number };
}
export type ApplyStepOutput =
  | {
      kind: 'applied';
      written: string[];
      alreadyApplied: string[];
      afterHashes: Record<string, string | null>;
      appliedDiffRef: string;
      stat: { added: number; removed: number };
      check?: StepCheck;
    }
  | { kind: 'conflict'; conflicts: Conflict[]; message: string };

const ZERO: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, llmCalls: 0 };
const MODEL_CHECK_OUTPUT_CHARS = 12_000;
/** The most of the spec and of the workspace a step prompt carries, whatever the window. */
const SPEC_CHARS = 30_000;
const STEP_CONTEXT_CHARS = 120_000;

export const readJson = <T>(deps: ActivityDeps, ref: string): T => JSON.parse(deps.blobs.get(ref)) as T;

export function buildStepActivities(deps: ActivityDeps) {
  const json = <T>(ref: string): T => readJson<T>(deps, ref);
  /** Runs the check command; the whole output goes to the blob store, a short excerpt to history. */
  const check = async (workspace: string, command: string, timeoutMs: number, signal: AbortSignal): Promise<StepCheck> => {
    const res = await runCheck({ workspace, command, timeoutMs, signal });
    const redactions = summarizeRedactions(res.redactions);
    const header = `$ ${command}\n[exit ${res.exitCode ?? res.signal}${res.timedOut ? ', timed out' : ''}${res.truncated ? ', output truncated' : ''}, ${res.durationMs} ms]\n`;
    return {
      passed: res.passed,
      exitCode: res.exitCode,
      timedOut: res.timedOut,
      excerpt: truncateMiddle(res.output.trim(), 1500),
      outputRef: deps.blobs.put(header + res.output),
      ...(redactions ? { redactions } : {}),
    };
  };

  return {
    async generateStep(input: GenerateStepInput): Promise<GenerateStepOutput> {
      return guarded(async (signal, tap) => {
        const plan = json<BuildPlan>(input.planRef);
        const step = plan.steps[input.step - 1];
        if (!step) throw new AimlError('INPUT_INVALID', `The plan has no step ${input.step}`);
        const conflictsOf = (paths: { path: string; hash: string | null }[]): Conflict[] =>
          paths.filter((p) => p.path in input.expected && input.expected[p.path] !== p.hash).map((p) => ({ path: p.path, expectedHash: input.expected[p.path]!, actualHash: p.hash }));
        // Before spending tokens: has the user changed a planned file since aiml last saw it?
        const planned = step.files.flatMap((f) => {
          try {
            const rel = normaliseEditPath(f.path);
            return [{ path: rel, hash: currentHash(input.workspace, rel) }];
          } catch {
            return [];
          }
        });
        const early = conflictsOf(planned);
        if (early.length) return { kind: 'conflict', conflicts: early, message: conflictMessage(early), usage: ZERO };

        const kb = await kbSnippets(deps, input.kb, `${step.title} ${step.description}`);
        const prompt = {
          plan,
          step: input.step,
          attempt: input.attempt,
          feedback: input.feedback,
          problems: input.problems,
          checkCommand: input.checkCommand,
        };
        const specText = deps.blobs.get(input.specRef);
        // The spec, the check output and the files share what the step model's window leaves.
        const room = promptRoomChars(deps, 'step', input.model, stepMessages({ ...prompt, spec: '', files: '' }));
        const spec = truncateMiddle(specText, Math.min(SPEC_CHARS, Math.floor(room / 2)));
        const checkOutput = input.checkOutputRef
          ? truncateMiddle(deps.blobs.get(input.checkOutputRef), Math.min(MODEL_CHECK_OUTPUT_CHARS, Math.max(0, Math.floor((room - spec.length) / 3))))
          : undefined;
        // Besides the planned files: the workspace's code the step is about, by meaning where the
        // worker's models can rank it (the plan warmed the index), the spec's copies left out.
        const related = await workspaceContext(deps, input.workspace, stepQuery(step), { ...STEP_RELATED, shown: specText }, signal);
        if (related.why) log.info('step context ranked by words', { step: input.step, why: related.why });
        const ctx = stepContext(input.workspace, plan, input.step, related.files, kb, Math.min(STEP_CONTEXT_CHARS, Math.max(0, room - spec.length - (checkOutput?.length ?? 0))));
        const redactions = summarizeRedactions(ctx.redactions);
        const noted = <T extends object>(out: T): T & { redactions?: RedactionSummary } => (redactions ? { ...out, redactions } : out);
        let result;
        try {
          result = await chatStructured(
            deps.llm,
            {
              messages: stepMessages({ ...prompt, spec, files: ctx.text, checkOutput }),
              model: input.model,
              schemaName: 'step_edits',
              purpose: 'step',
              jsonSchema: stepEditsJsonSchema(),
              temperature: 0.1,
              signal,
              stream: tap,
            },
            StepEditsSchema,
          );
        } catch (err) {
          // A malformed answer (after its repair request) is one failed attempt of the step, not the end of the run.
          if (!isAimlError(err, 'LLM_MALFORMED_OUTPUT')) throw err;
          return noted({ kind: 'refused', problems: `- the answer was not valid step_edits JSON: ${err.message.slice(0, 1500)}`, usage: { ...ZERO, llmCalls: 2 } } as const);
        }
        const usage: Usage = callUsage(result.usage, result.calls, result.latencyMs);
        const { edits, ...meta } = result.value;
        const prepared = prepareEdits(input.workspace, toFileEdits(result.value));
        if (prepared.problems.length) return noted({ kind: 'refused', problems: truncateMiddle(formatProblems(prepared.problems), 6000), usage } as const);
        if (prepared.files.length === 0) return noted({ kind: 'refused', problems: `- the ${edits.length} edit(s) change nothing: every file would keep its current content`, usage } as const);
        const late = conflictsOf(prepared.files.map((f) => ({ path: f.path, hash: f.beforeHash })));
        if (late.length) return noted({ kind: 'conflict', conflicts: late, message: conflictMessage(late), usage } as const);

        const files: ProposalFile[] = prepared.files.map((f) => ({
          path: f.path,
          change: f.before === null ? 'created' : f.after === null ? 'deleted' : 'modified',
          why: f.why,
          beforeHash: f.beforeHash,
          afterHash: f.afterHash,
          beforeRef: f.before === null ? null : deps.blobs.putExact(f.before),
          afterRef: f.after === null ? null : deps.blobs.putExact(f.after),
        }));
        const proposal: Proposal = { step: input.step, attempt: input.attempt, meta, files };
        const diff = renderDiff(prepared.files);
        return noted({
          kind: 'proposal',
          proposalRef: deps.blobs.put(JSON.stringify(proposal)),
          diffRef: deps.blobs.put(diff),
          files: files.map((f) => ({ path: f.path, change: f.change })),
          stat: diffStat(diff),
          summary: meta.summary.slice(0, 300),
          usage,
          ...(result.provider ? { provider: result.provider } : {}),
        } as const);
      });
    },

    /** Applies a step attempt (idempotent), then runs the check command on the result, if any. */
    async applyStep(input: ApplyStepInput): Promise<ApplyStepOutput> {
      return guarded(async (signal) => {
        const proposal = json<Proposal>(input.proposalRef);
        const journal = new Journal(deps.stateDir, input.workflowId);
        try {
          const res = await applyChanges(
            input.workspace,
            proposal.files,
            deps.blobs,
            journal,
            { key: `step-${input.step}/attempt-${input.attempt}`, step: input.step, attempt: input.attempt, at: new Date().toISOString() },
            { pauseAfterWriteMs: deps.faults?.applyPauseMs },
          );
          const stepDiff = renderDiff(netChanges(journal.read().entries.filter((e) => e.step === input.step), deps.blobs));
          return {
            kind: 'applied',
            ...res,
            afterHashes: Object.fromEntries(proposal.files.map((f) => [f.path, f.afterHash])),
            appliedDiffRef: deps.blobs.put(stepDiff),
            stat: diffStat(stepDiff),
            check: input.check ? await check(input.workspace, input.check.command, input.check.timeoutMs, signal) : undefined,
          };
        } catch (err) {
          if (!isAimlError(err, 'FILE_CONFLICT')) throw err;
          const conflicts = (err.details?.conflicts ?? []) as Conflict[];
          return { kind: 'conflict', conflicts, message: conflictMessage(conflicts) };
        }
      }, 1000);
    },

  };
}
