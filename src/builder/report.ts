import type { BuildStepStatus } from '../contracts/build';
import type { BuildPlan, StepEdits } from './schemas';

/**
 * The BUILD report in the seed's return format, from what was actually applied and checked: the
 * file list is the net change recorded in the journal, the rest comes from applied steps only.
 */

export interface ReportFile {
  path: string;
  change: 'created' | 'modified' | 'deleted';
  added: number;
  removed: number;
  purpose: string;
}

export interface ReportStep {
  n: number;
  title: string;
  status: BuildStepStatus;
  attempts: number;
  checkPassed: boolean | null;
  /** Files the step's applied (not undone) attempts wrote; absent when not known. */
  filesTouched?: number;
  applied: StepEdits[];
}

export interface ReportInput {
  plan: BuildPlan;
  specPath: string;
  checkCommand: string | null;
  files: ReportFile[];
  steps: ReportStep[];
  detectedDependencies: string[];
}

const uniq = (xs: string[]): string[] => [...new Set(xs.map((x) => x.trim()).filter(Boolean))];
const bullets = (xs: string[], none: string): string => (xs.length ? xs.map((x) => `- ${x}`).join('\n') : `- ${none}`);

export function renderBuildReport(r: ReportInput): string {
  const applied = r.steps.flatMap((s) => s.applied);
  const files = [...r.files].sort((a, b) => a.path.localeCompare(b.path));
  const dirs = uniq(files.map((f) => (f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/') + 1) : './')));
  const keyImpl = new Map<string, string>();
  for (const k of applied.flatMap((a) => a.keyImplementations)) keyImpl.set(k.name, k.description);
  const usage = uniq(applied.map((a) => a.usage));
  const testing = [
    r.checkCommand ? `Check command: \`${r.checkCommand}\` (run in the workspace after every step attempt, with a scrubbed environment).` : 'No check command was configured; nothing was run after the steps.',
    ...r.steps.map((s) => {
      const check = s.checkPassed === null ? 'not checked' : s.checkPassed ? 'check passed' : 'check FAILED';
      const touched = s.filesTouched === undefined ? '' : s.filesTouched ? `, ${s.filesTouched} file${s.filesTouched === 1 ? '' : 's'} written` : ', no files written';
      return `Step ${s.n} (${s.title}): ${s.status.replace('_', ' ')}, ${check}${touched}, ${s.attempts} attempt${s.attempts === 1 ? '' : 's'}.`;
    }),
  ];
  return [
    `# Build report: ${r.plan.title}`,
    '',
    `Spec: ${r.specPath}`,
    '',
    'IMPLEMENTED FILES:',
    bullets(
      files.map((f) => `${f.path} (${f.change}, +${f.added} -${f.removed}): ${f.purpose || 'changed by the build'}`),
      'No files were changed.',
    ),
    '',
    'CODE STRUCTURE:',
    // The plan's structure; said as such when nothing was built, so it is not read as what exists.
    files.length ? r.plan.codeStructure.trim() : `As planned (not built: no files were changed):\n${r.plan.codeStructure.trim()}`,
    '',
    `Folders touched: ${dirs.length ? dirs.join(', ') : 'none'}`,
    '',
    'KEY IMPLEMENTATIONS:',
    keyImpl.size ? [...keyImpl].map(([name, d], i) => `${i + 1}. ${name}: ${d}`).join('\n') : '1. None reported by the applied steps.',
    '',
    'INTEGRATION INTERFACES:',
    bullets(uniq(applied.flatMap((a) => a.interfaces)), 'None reported.'),
    '',
    'DEPENDENCIES ADDED:',
    bullets(uniq([...r.detectedDependencies, ...applied.flatMap((a) => a.dependencies)]), 'None.'),
    '',
    'CONFIGURATION:',
    bullets(uniq(applied.flatMap((a) => a.configuration)), 'None.'),
    '',
    'TESTING:',
    bullets(testing, ''),
    '',
    'USAGE EXAMPLES:',
    usage.length ? usage.map((u) => '```\n' + u.replace(/```/g, "'''") + '\n```').join('\n\n') : 'None reported.',
    '',
  ].join('\n');
}

/** Packages added to package.json or requirements.txt between two versions of the file. */
export function addedDependencies(path: string, before: string | null, after: string | null): string[] {
  if (after === null) return [];
  if (path.endsWith('package.json')) {
    const deps = (t: string | null): Record<string, string> => {
      try {
        const j = JSON.parse(t ?? '{}') as Record<string, Record<string, string> | undefined>;
        return { ...j.dependencies, ...j.devDependencies, ...j.optionalDependencies, ...j.peerDependencies };
      } catch {
        return {};
      }
    };
    const was = deps(before);
    return Object.entries(deps(after))
      .filter(([k]) => !(k in was))
      .map(([k, v]) => `${k}@${v} (${path})`);
  }
  if (/requirements[^/]*\.txt$/.test(path)) {
    const lines = (t: string | null): Set<string> => new Set((t ?? '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
    const was = lines(before);
    return [...lines(after)].filter((l) => !was.has(l)).map((l) => `${l} (${path})`);
  }
  return [];
}
