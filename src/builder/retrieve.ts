import fs from 'node:fs';
import path from 'node:path';
import type { RetrievedSnippet } from '../design/context';
import { gatherWorkspaceContext } from '../design/context';
import { readText } from '../workspace/edits';
import { normaliseEditPath } from '../workspace/paths';
import type { BuildPlan } from './schemas';

/**
 * The code a step needs to see: every planned file that exists, in full (within a budget), then
 * the workspace files sharing the most terms with the step, then knowledge-base snippets.
 */
export function stepContext(root: string, plan: BuildPlan, step: number, kb: RetrievedSnippet[] = [], budgetChars = 120_000): { text: string; files: string[] } {
  const s = plan.steps[step - 1]!;
  const parts: string[] = [];
  const shown: string[] = [];
  let used = 0;
  const add = (block: string, rel: string): boolean => {
    if (used + block.length > budgetChars) return false;
    parts.push(block);
    shown.push(rel);
    used += block.length;
    return true;
  };
  for (const f of s.files) {
    let rel: string;
    try {
      rel = normaliseEditPath(f.path);
    } catch {
      continue; // refused paths are reported when edits are validated
    }
    const abs = path.join(root, rel);
    if (!fs.existsSync(abs)) {
      add(`### ${rel}\n(does not exist yet)\n`, rel);
      continue;
    }
    const read = readText(abs, 512 * 1024);
    if (read.text === null) continue;
    if (!add(`### ${rel}\n\`\`\`\n${read.text}\n\`\`\`\n`, rel)) add(`### ${rel}\n(${read.text.length} characters; too large to show in full)\n`, rel);
  }
  const query = `${s.title} ${s.description} ${s.files.map((f) => f.path).join(' ')}`;
  for (const f of gatherWorkspaceContext(root, query, { maxFiles: 6, excerptBytes: 6000 })) {
    if (shown.includes(f.path)) continue;
    add(`### ${f.path} (excerpt)\n\`\`\`\n${f.excerpt}\n\`\`\`\n`, f.path);
  }
  for (const k of kb) {
    const lines = k.startLine ? `:${k.startLine}-${k.endLine ?? k.startLine}` : '';
    add(`### knowledge base: ${k.path}${lines}\n\`\`\`\n${k.text}\n\`\`\`\n`, `kb:${k.path}`);
  }
  return { text: parts.join('\n') || '(no files yet)', files: shown };
}
