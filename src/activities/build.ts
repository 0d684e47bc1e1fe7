import fs from 'node:fs';
import path from 'node:path';
import type { StepCheck } from '../contracts/build';
import type { Usage } from '../contracts/run';
import { buildPlanJsonSchema, BuildPlanSchema, planProblems, stepEditsJsonSchema, StepEditsSchema, toFileEdits, type BuildPlan, type StepEdits } from '../build/schemas';
import { planMessages, stepMessages } from '../build/prompts';
import { stepContext } from '../build/retrieve';
import { addedDependencies, renderBuildReport, type ReportFile, type ReportStep } from '../build/report';
import { gatherWorkspaceContext, listFiles, renderContext } from '../design/context';
import { AimlError, isAimlError } from '../errors';
import { chatStructured } from '../llm/structured';
import { applyChanges, conflictMessage, currentHash, type Conflict, type PlannedChange } from '../workspace/apply';
import { detectCheckCommand, runCheck, truncateMiddle } from '../workspace/check';
import { diffStat, renderDiff } from '../workspace/diff';
import { formatProblems, hashOf, prepareEdits } from '../workspace/edits';
import { Journal } from '../workspace/journal';
import { normaliseEditPath } from '../workspace/paths';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';
import { resolveInside, writeFileAtomic } from './fs-util';

/** BUILD activities: thin wrappers over src/build and src/workspace. Large texts travel as blob refs. */

export interface PrepareBuildInput {
  workspace: string;
  specPath: string;
  checkCommand?: string;
}
export interface PrepareBuildOutput {
  specPath: string;
  specRef: string;
  checkCommand: string | null;
}

export interface PlanBuildInput {
  workspace: string;
  specRef: string;
  maxSteps: number;
  feedback?: string;
  previousPlanRef?: string;
  model?: string;
  kb?: string;
}
export interface PlanBuildOutput {
  planRef: string;
  title: string;
  steps: { title: string; files: string[] }[];
  /** Content hash of every planned file at plan time (null: absent), for conflict detection. */
  baseline: Record<string, string | null>;
  usage: Usage;
}

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

export type GenerateStepOutput =
  | { kind: 'proposal'; proposalRef: string; diffRef: string; files: { path: string; change: ProposalFile['change'] }[]; stat: { added: number; removed: number }; summary: string; usage: Usage }
  | { kind: 'refused'; problems: string; usage: Usage }
  | { kind: 'conflict'; conflicts: Conflict[]; message: string; usage: Usage };

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

export interface BuildReportInput {
  workflowId: string;
  workspace: string;
  planRef: string;
  specPath: string;
  checkCommand: string | null;
  reportFile: string;
  steps: { n: number; title: string; status: ReportStep['status']; attempts: number; checkPassed: boolean | null; proposalRefs: string[] }[];
}
export interface BuildReportOutput {
  path: string;
  report: string;
  filesChanged: string[];
}

const ZERO: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, llmCalls: 0 };
const MODEL_CHECK_OUTPUT_CHARS = 12_000;

export function buildActivities(deps: ActivityDeps) {
  const json = <T>(ref: string): T => JSON.parse(deps.blobs.get(ref)) as T;
  const kbSnippets = async (kb: string | undefined, query: string) => {
    if (!kb) return [];
    if (!deps.retriever) throw new AimlError('KB_UNAVAILABLE', `Knowledge base "${kb}" was asked for, but this worker has no retriever`);
    return deps.retriever.search(kb, query, 6);
  };

  /** The net change per file across journal entries (oldest before → newest after). */
  const netChanges = (journal: Journal, filter: (step: number) => boolean) => {
    const entries = journal.read().entries.filter((e) => !e.revertedAt && filter(e.step));
    const net = new Map<string, { beforeRef: string | null; beforeHash: string | null; afterRef: string | null; afterHash: string | null }>();
    for (const e of [...entries].sort((a, b) => a.step - b.step || a.attempt - b.attempt)) {
      for (const f of e.files) {
        const had = net.get(f.path);
        net.set(f.path, { beforeRef: had ? had.beforeRef : f.beforeRef, beforeHash: had ? had.beforeHash : f.beforeHash, afterRef: f.afterRef, afterHash: f.afterHash });
      }
    }
    return [...net].filter(([, c]) => c.beforeHash !== c.afterHash).map(([p, c]) => ({
      path: p,
      before: c.beforeRef ? deps.blobs.get(c.beforeRef) : null,
      after: c.afterRef ? deps.blobs.get(c.afterRef) : null,
    }));
  };

  /** Runs the check command; the whole output goes to the blob store, a short excerpt to history. */
  const check = async (workspace: string, command: string, timeoutMs: number, signal: AbortSignal): Promise<StepCheck> => {
    const res = await runCheck({ workspace, command, timeoutMs, signal });
    const header = `$ ${command}\n[exit ${res.exitCode ?? res.signal}${res.timedOut ? ', timed out' : ''}${res.truncated ? ', output truncated' : ''}, ${res.durationMs} ms]\n`;
    return {
      passed: res.passed,
      exitCode: res.exitCode,
      timedOut: res.timedOut,
      excerpt: truncateMiddle(res.output.trim(), 1500),
      outputRef: deps.blobs.put(header + res.output),
    };
  };

  return {
    async prepareBuild(input: PrepareBuildInput): Promise<PrepareBuildOutput> {
      return guarded(async () => {
        if (!input.workspace || !path.isAbsolute(input.workspace)) throw new AimlError('INPUT_INVALID', `The workspace must be an absolute path: "${input.workspace}"`);
        if (!fs.existsSync(input.workspace) || !fs.statSync(input.workspace).isDirectory()) throw new AimlError('INPUT_INVALID', `The workspace ${input.workspace} is not a directory`);
        const specPath = path.isAbsolute(input.specPath) ? input.specPath : path.join(input.workspace, input.specPath);
        if (!fs.existsSync(specPath)) throw new AimlError('INPUT_INVALID', `The spec ${specPath} does not exist`);
        const spec = fs.readFileSync(specPath, 'utf8');
        if (!spec.trim()) throw new AimlError('INPUT_INVALID', `The spec ${specPath} is empty`);
        const checkCommand = input.checkCommand === undefined ? (detectCheckCommand(input.workspace) ?? null) : input.checkCommand.trim() || null;
        return { specPath, specRef: deps.blobs.put(spec), checkCommand };
      });
    },

    async planBuild(input: PlanBuildInput): Promise<PlanBuildOutput> {
      return guarded(async (signal) => {
        const spec = deps.blobs.get(input.specRef);
        const files = listFiles(input.workspace, 400);
        const kb = await kbSnippets(input.kb, spec.slice(0, 2000));
        const context = renderContext({ files: gatherWorkspaceContext(input.workspace, spec.slice(0, 4000), { maxFiles: 8, excerptBytes: 3000 }), kb });
        const previousPlan = input.previousPlanRef ? json<BuildPlan>(input.previousPlanRef) : undefined;
        const result = await chatStructured(
          deps.llm,
          {
            messages: planMessages({ spec: truncateMiddle(spec, 60_000), fileList: files, context, maxSteps: input.maxSteps, feedback: input.feedback, previousPlan }),
            model: input.model,
            schemaName: 'build_plan',
            jsonSchema: buildPlanJsonSchema(),
            temperature: 0.2,
            signal,
          },
          BuildPlanSchema,
          (p) => planProblems(p, input.maxSteps),
        );
        const plan = result.value;
        const baseline: Record<string, string | null> = {};
        for (const s of plan.steps) {
          for (const f of s.files) {
            try {
              const rel = normaliseEditPath(f.path);
              baseline[rel] = currentHash(input.workspace, rel);
            } catch {
              /* a refused path is reported when the step's edits are validated */
            }
          }
        }
        return {
          planRef: deps.blobs.put(JSON.stringify(plan)),
          title: plan.title,
          steps: plan.steps.map((s) => ({ title: s.title, files: s.files.map((f) => f.path) })),
          baseline,
          usage: { ...result.usage, llmCalls: result.calls },
        };
      });
    },

    async generateStep(input: GenerateStepInput): Promise<GenerateStepOutput> {
      return guarded(async (signal) => {
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

        const kb = await kbSnippets(input.kb, `${step.title} ${step.description}`);
        const ctx = stepContext(input.workspace, plan, input.step, kb);
        const spec = deps.blobs.get(input.specRef);
        const result = await chatStructured(
          deps.llm,
          {
            messages: stepMessages({
              spec: truncateMiddle(spec, 30_000),
              plan,
              step: input.step,
              files: ctx.text,
              attempt: input.attempt,
              feedback: input.feedback,
              problems: input.problems,
              checkOutput: input.checkOutputRef ? truncateMiddle(deps.blobs.get(input.checkOutputRef), MODEL_CHECK_OUTPUT_CHARS) : undefined,
              checkCommand: input.checkCommand,
            }),
            model: input.model,
            schemaName: 'step_edits',
            jsonSchema: stepEditsJsonSchema(),
            temperature: 0.1,
            signal,
          },
          StepEditsSchema,
        );
        const usage: Usage = { ...result.usage, llmCalls: result.calls };
        const { edits, ...meta } = result.value;
        const prepared = prepareEdits(input.workspace, toFileEdits(result.value));
        if (prepared.problems.length) return { kind: 'refused', problems: truncateMiddle(formatProblems(prepared.problems), 6000), usage };
        if (prepared.files.length === 0) return { kind: 'refused', problems: `- the ${edits.length} edit(s) change nothing: every file would keep its current content`, usage };
        const late = conflictsOf(prepared.files.map((f) => ({ path: f.path, hash: f.beforeHash })));
        if (late.length) return { kind: 'conflict', conflicts: late, message: conflictMessage(late), usage };

        const files: ProposalFile[] = prepared.files.map((f) => ({
          path: f.path,
          change: f.before === null ? 'created' : f.after === null ? 'deleted' : 'modified',
          why: f.why,
          beforeHash: f.beforeHash,
          afterHash: f.afterHash,
          beforeRef: f.before === null ? null : deps.blobs.put(f.before),
          afterRef: f.after === null ? null : deps.blobs.put(f.after),
        }));
        const proposal: Proposal = { step: input.step, attempt: input.attempt, meta, files };
        return {
          kind: 'proposal',
          proposalRef: deps.blobs.put(JSON.stringify(proposal)),
          diffRef: deps.blobs.put(renderDiff(prepared.files)),
          files: files.map((f) => ({ path: f.path, change: f.change })),
          stat: diffStat(prepared.files),
          summary: meta.summary.slice(0, 300),
          usage,
        };
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
          const stepNet = netChanges(journal, (s) => s === input.step);
          return {
            kind: 'applied',
            ...res,
            afterHashes: Object.fromEntries(proposal.files.map((f) => [f.path, f.afterHash])),
            appliedDiffRef: deps.blobs.put(renderDiff(stepNet)),
            stat: diffStat(stepNet),
            check: input.check ? await check(input.workspace, input.check.command, input.check.timeoutMs, signal) : undefined,
          };
        } catch (err) {
          if (!isAimlError(err, 'FILE_CONFLICT')) throw err;
          const conflicts = (err.details?.conflicts ?? []) as Conflict[];
          return { kind: 'conflict', conflicts, message: conflictMessage(conflicts) };
        }
      }, 1000);
    },

    async writeBuildReport(input: BuildReportInput): Promise<BuildReportOutput> {
      return guarded(async () => {
        const plan = json<BuildPlan>(input.planRef);
        const journal = new Journal(deps.stateDir, input.workflowId);
        const net = netChanges(journal, () => true);
        const proposals = input.steps.flatMap((s) => s.proposalRefs.map((r) => json<Proposal>(r)));
        const purpose = (p: string): string => [...new Set(proposals.flatMap((pr) => pr.files.filter((f) => f.path === p && f.why).map((f) => f.why)))].join('; ');
        const files: ReportFile[] = net.map((f) => {
          const stat = diffStat([f]);
          return { path: f.path, change: f.before === null ? 'created' : f.after === null ? 'deleted' : 'modified', ...stat, purpose: purpose(f.path) };
        });
        const steps: ReportStep[] = input.steps.map((s) => ({
          n: s.n,
          title: s.title,
          status: s.status,
          attempts: s.attempts,
          checkPassed: s.checkPassed,
          applied: s.proposalRefs.map((r) => ({ ...json<Proposal>(r).meta, edits: [] })),
        }));
        const report = renderBuildReport({
          plan,
          specPath: input.specPath,
          checkCommand: input.checkCommand,
          files,
          steps,
          detectedDependencies: net.flatMap((f) => addedDependencies(f.path, f.before, f.after)),
        });
        const target = resolveInside(input.workspace, input.reportFile);
        if (!fs.existsSync(target) || hashOf(fs.readFileSync(target, 'utf8')) !== hashOf(report)) writeFileAtomic(target, report);
        return { path: target, report: truncateMiddle(report, 60_000), filesChanged: files.map((f) => f.path).sort() };
      });
    },
  };
}
