import { z } from 'zod';
import type { FileEdit } from '../workspace/edits';

/** The structured outputs of the BUILD phase: the plan, and one step's edits. */

const PlannedFile = z.object({
  path: z.string().min(1).max(300).describe('Path relative to the workspace root, forward slashes'),
  action: z.enum(['create', 'modify', 'delete']),
  purpose: z.string().min(3).max(300).describe('What this file is for, or what changes in it'),
});

export const BuildPlanSchema = z.object({
  title: z.string().min(3).max(120),
  summary: z.string().min(10).max(1500).describe('What the implementation does, in two to four sentences'),
  codeStructure: z.string().min(10).max(2000).describe('How the components are organised in the codebase'),
  steps: z
    .array(
      z.object({
        title: z.string().min(3).max(120),
        description: z.string().min(10).max(1000).describe('What this step implements and how it is checked'),
        files: z.array(PlannedFile).min(1).max(25),
      }),
    )
    .min(1)
    .max(20),
});
export type BuildPlan = z.infer<typeof BuildPlanSchema>;

const Block = z.object({
  search: z.string().max(20_000).describe('Exact lines of the current file to replace, copied verbatim with enough context to be unique'),
  replace: z.string().max(40_000).describe('The lines that replace them'),
});

const Edit = z.object({
  path: z.string().min(1).max(300),
  action: z.enum(['write', 'patch', 'delete']).describe('write: whole new content (new files, full rewrites); patch: search/replace blocks; delete'),
  why: z.string().max(300).describe('Purpose of this change, one line'),
  content: z.string().max(100_000).optional().describe('The whole file content, for action write'),
  blocks: z.array(Block).max(30).optional().describe('Search/replace blocks, for action patch'),
});

export const StepEditsSchema = z.object({
  summary: z.string().min(3).max(600).describe('What these edits do, one or two sentences'),
  edits: z.array(Edit).min(1).max(25),
  keyImplementations: z.array(z.object({ name: z.string().min(1).max(120), description: z.string().min(3).max(500) })).max(12).describe('Components implemented: name, what it does, key functions'),
  interfaces: z.array(z.string().max(500)).max(20).describe('Signatures, endpoints, input/output formats other code uses'),
  dependencies: z.array(z.string().max(200)).max(20).describe('Packages this step adds, with versions'),
  configuration: z.array(z.string().max(300)).max(20).describe('Environment variables and settings the code reads'),
  usage: z.string().max(3000).describe('A short usage example (code), or empty'),
});
export type StepEdits = z.infer<typeof StepEditsSchema>;

export const buildPlanJsonSchema = (): Record<string, unknown> => z.toJSONSchema(BuildPlanSchema, { target: 'draft-7' }) as Record<string, unknown>;
export const stepEditsJsonSchema = (): Record<string, unknown> => z.toJSONSchema(StepEditsSchema, { target: 'draft-7' }) as Record<string, unknown>;

/** Plan checks a schema cannot express. */
export function planProblems(plan: BuildPlan, maxSteps: number): string[] {
  const problems: string[] = [];
  if (plan.steps.length > maxSteps) problems.push(`the plan has ${plan.steps.length} steps; at most ${maxSteps} are allowed: merge steps`);
  plan.steps.forEach((s, i) =>
    s.files.forEach((f) => {
      if (f.path.startsWith('/') || f.path.split(/[\\/]/).includes('..')) problems.push(`step ${i + 1}: path "${f.path}" must be relative to the workspace, without ".."`);
    }),
  );
  return [...new Set(problems)]; // a step may list one path twice: said once
}

/** The model's edits in the workspace module's edit format. */
export function toFileEdits(out: StepEdits): FileEdit[] {
  return out.edits.map((e): FileEdit => {
    if (e.action === 'write') return { path: e.path, action: 'write', content: e.content ?? '', why: e.why };
    if (e.action === 'patch') return { path: e.path, action: 'patch', blocks: e.blocks ?? [], why: e.why };
    return { path: e.path, action: 'delete', why: e.why };
  });
}
