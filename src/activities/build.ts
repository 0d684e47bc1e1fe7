import fs from 'node:fs';
import path from 'node:path';
import { log } from '@temporalio/activity';
import { callUsage, type Usage } from '../contracts/run';
import { netChanges } from '../builder/net-changes';
import { planMessages } from '../builder/prompts';
import { addedDependencies, renderBuildReport, type ReportFile, type ReportStep } from '../builder/report';
import { buildPlanJsonSchema, BuildPlanSchema, planProblems, type BuildPlan } from '../builder/schemas';
import { contextRedactions, fitContext, renderContext } from '../design/context';
import type { ContextRanking } from '../contracts/run-details';
import { summarizeRedactions, type RedactionSummary } from '../contracts/security';
import { AimlError } from '../errors';
import { chatStructured } from '../llm/structured';
import type { ProviderUse } from '../contracts/llm';
import { currentHash } from '../workspace/apply';
import { detectCheckCommand, truncateMiddle } from '../workspace/check';
import { diffStat, renderDiff } from '../workspace/diff';
import { Journal } from '../workspace/journal';
import { listWorkspace } from '../workspace/lister';
import { normaliseEditPath } from '../workspace/paths';
import { agentShadowActivities } from './agent-shadow';
import { agentToolActivities } from './agent-tools';
import { agentTurnActivities } from './agent-turn';
import { buildStepActivities, readJson, type Proposal } from './build-step';
import { kbSnippets } from './kb-snippets';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';
import { pathsWithin, promptRoomChars } from './prompt-room';
import { writeOutputFile } from '../workspace/output-file';
import { planContextQuery, workspaceContext } from '../design/workspace-context';

/**
 * BUILD activities: read the spec, plan, write the report (this file); generate and apply a step
 * (build-step.ts). Thin wrappers over src/build and src/workspace; large texts travel as blob refs.
 */

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
  /** Which provider answered, and why those before it were skipped. */
  provider?: ProviderUse;
  /** The workspace files the plan was shown, and how they were chosen. */
  context?: { files: string[]; ranking: ContextRanking };
  /** Credentials removed from the workspace files and knowledge-base snippets the plan was shown. */
  redactions?: RedactionSummary;
}

export interface BuildReportInput {
  workflowId: string;
  workspace: string;
  planRef: string;
  specPath: string;
  checkCommand: string | null;
  reportFile: string;
  /** Replace a report file the user wrote or changed. */
  force?: boolean;
  steps: { n: number; title: string; status: ReportStep['status']; attempts: number; checkPassed: boolean | null; proposalRefs: string[] }[];
}
export interface BuildReportOutput {
  path: string;
  report: string;
  filesChanged: string[];
}

export function buildActivities(deps: ActivityDeps) {
  const json = <T>(ref: string): T => readJson<T>(deps, ref);
  return {
    ...buildStepActivities(deps),
    ...agentTurnActivities(deps),
    ...agentToolActivities(deps),
    ...agentShadowActivities(deps),
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
      return guarded(async (signal, tap) => {
        const spec = deps.blobs.get(input.specRef);
        const files = fs.existsSync(input.workspace) ? listWorkspace(input.workspace, { limit: 400 }).files : [];
        const { query, opts } = planContextQuery(spec);
        const kb = await kbSnippets(deps, input.kb, query.parts);
        const found = await workspaceContext(deps, input.workspace, query, opts, signal);
        if (found.why) log.info('plan context ranked by words', { why: found.why });
        const whole = renderContext({ files: found.files, kb });
        const redactions = summarizeRedactions(contextRedactions({ files: found.files, kb }));
        const previousPlan = input.previousPlanRef ? json<BuildPlan>(input.previousPlanRef) : undefined;
        // The spec, the file list and the excerpts share the room the plan model's window leaves:
        // the spec up to half of it, the list up to a third of the rest, the excerpts what remains.
        const prompt = { maxSteps: input.maxSteps, feedback: input.feedback, previousPlan };
        const room = promptRoomChars(deps, 'plan', input.model, planMessages({ ...prompt, spec: '', fileList: [], context: '' }));
        const specText = truncateMiddle(spec, Math.min(60_000, Math.max(1000, Math.floor(room / 2))));
        const fileList = pathsWithin(files, Math.floor((room - specText.length) / 3));
        const context = fitContext(whole, Math.max(0, room - specText.length - fileList.join('\n').length));
        const result = await chatStructured(
          deps.llm,
          {
            messages: planMessages({ ...prompt, spec: specText, fileList, totalFiles: files.length, context }),
            model: input.model,
            schemaName: 'build_plan',
            purpose: 'plan',
            jsonSchema: buildPlanJsonSchema(),
            temperature: 0.2,
            signal,
            stream: tap,
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
          usage: callUsage(result.usage, result.calls, result.latencyMs),
          ...(result.provider ? { provider: result.provider } : {}),
          context: { files: found.files.map((f) => f.path), ranking: found.ranking },
          ...(redactions ? { redactions } : {}),
        };
      });
    },

    async writeBuildReport(input: BuildReportInput): Promise<BuildReportOutput> {
      return guarded(async () => {
        const plan = json<BuildPlan>(input.planRef);
        const entries = new Journal(deps.stateDir, input.workflowId).read().entries;
        const net = netChanges(entries, deps.blobs);
        const proposals = input.steps.flatMap((s) => s.proposalRefs.map((r) => json<Proposal>(r)));
        const purpose = (p: string): string => [...new Set(proposals.flatMap((pr) => pr.files.filter((f) => f.path === p && f.why).map((f) => f.why)))].join('; ');
        const files: ReportFile[] = net.map((f) => {
          const stat = diffStat(renderDiff([f]));
          return { path: f.path, change: f.before === null ? 'created' : f.after === null ? 'deleted' : 'modified', ...stat, purpose: purpose(f.path) };
        });
        const steps: ReportStep[] = input.steps.map((s) => ({
          n: s.n,
          title: s.title,
          status: s.status,
          attempts: s.attempts,
          checkPassed: s.checkPassed,
          filesTouched: new Set(entries.filter((e) => e.step === s.n && !e.revertedAt).flatMap((e) => e.files.map((f) => f.path))).size,
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
        const written = writeOutputFile(input.workspace, input.reportFile, report, input.force);
        return { path: written.path, report: truncateMiddle(written.text, 60_000), filesChanged: files.map((f) => f.path).sort() };
      });
    },
  };
}
