import fs from 'node:fs';
import path from 'node:path';
import type { ContextFile, RetrievedSnippet } from '../design/context';
import { contextHeading } from '../design/context';
import { readText } from '../workspace/edits';
import { normaliseEditPath } from '../workspace/paths';
import type { Redaction } from '../contracts/security';
import { redactSecrets } from '../security/secrets';
import type { BuildPlan } from './schemas';

/** A planned file cut to fit is shown only if at least this much of it fits. */
const MIN_PARTIAL_CHARS = 800;

/** How many related files a one-shot step is shown, and how much of each. */
export const STEP_RELATED = { maxFiles: 6, excerptBytes: 6000 } as const;

/**
 * The code a step needs to see: every planned file that exists, in full (within a budget), then
 * the related workspace files (`related`: chosen by the caller, by meaning where it can, already
 * redacted), then knowledge-base snippets. Credentials are replaced by `[REDACTED: …]` markers;
 * `redactions` says which and where.
 */
export function stepContext(
  root: string,
  plan: BuildPlan,
  step: number,
  related: ContextFile[] = [],
  kb: RetrievedSnippet[] = [],
  budgetChars = 120_000,
): { text: string; files: string[]; redactions: Redaction[] } {
  const s = plan.steps[step - 1]!;
  const parts: string[] = [];
  const shown: string[] = [];
  const redactions: Redaction[] = [];
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
    const clean = redactSecrets(read.text, rel);
    const whole = `### ${rel}\n\`\`\`\n${clean.text}\n\`\`\`\n`;
    if (add(whole, rel)) {
      redactions.push(...clean.redactions);
      continue;
    }
    // Too large for what is left: its start, cut at a line, when that is worth showing.
    const room = budgetChars - used - 200;
    const head = room >= MIN_PARTIAL_CHARS ? clean.text.slice(0, clean.text.lastIndexOf('\n', room) + 1 || room) : '';
    if (head && add(`### ${rel} (first ${head.length} of ${clean.text.length} characters; the rest is cut to fit the model’s context window)\n\`\`\`\n${head}\n\`\`\`\n`, rel)) {
      const lines = head.split('\n').length;
      redactions.push(...clean.redactions.filter((r) => r.line <= lines));
    } else add(`### ${rel}\n(${read.text.length} characters; too large to show in full)\n`, rel);
  }
  for (const f of related) {
    if (shown.includes(f.path)) continue;
    if (add(`${contextHeading(f, 'excerpt')}\n\`\`\`\n${f.excerpt}\n\`\`\`\n`, f.path)) redactions.push(...(f.redactions ?? []));
  }
  for (const k of kb) {
    const lines = k.startLine ? `:${k.startLine}-${k.endLine ?? k.startLine}` : '';
    if (add(`### knowledge base: ${k.path}${lines}\n\`\`\`\n${k.text}\n\`\`\`\n`, `kb:${k.path}`)) redactions.push(...(k.redactions ?? []));
  }
  return { text: parts.join('\n') || '(no files yet)', files: shown, redactions };
}
