import type { GateDecision } from '../contracts/run';
import { SECTION_KEYS, SECTION_TITLES, type ArchitectureDraft } from './architecture';

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * SPECS.md in the seed's DESIGN return format: the `AI/ML ARCHITECTURE DESIGN:` block with its
 * six sections, each with the draft's summary, decisions and risks; then overview, open
 * questions and the approval record.
 */
export function renderSpec(draft: ArchitectureDraft, meta: { brief: string; decisions: GateDecision[] }): string {
  const lines: string[] = [`# ${oneLine(draft.title)}`, '', `> Brief: ${oneLine(meta.brief)}`, '', oneLine(draft.overview), '', '```'];
  lines.push('AI/ML ARCHITECTURE DESIGN:');
  for (const key of SECTION_KEYS) {
    const s = draft[key];
    lines.push(`- ${SECTION_TITLES[key]}: ${oneLine(s.summary)}`);
    for (const d of s.decisions) lines.push(`  - ${oneLine(d.choice)} (why: ${oneLine(d.rationale)})`);
    if (s.risks.length) lines.push(`  - Risks: ${s.risks.map(oneLine).join('; ')}`);
  }
  lines.push('```', '');
  if (draft.openQuestions.length) {
    lines.push('## Open questions', '', ...draft.openQuestions.map((q) => `- ${oneLine(q)}`), '');
  }
  if (meta.decisions.length) {
    lines.push('## Approval record', '');
    for (const d of meta.decisions) {
      const note = d.feedback ? ` — feedback: ${oneLine(d.feedback)}` : d.comment ? ` — ${oneLine(d.comment)}` : '';
      lines.push(`- ${d.gate} round ${d.round}: ${d.decision} by ${d.by} at ${d.at} (${d.via})${note}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** A short text for the approval gate and the CLI: what is being approved. */
export function draftDigest(draft: ArchitectureDraft): string {
  const lines = [`${draft.title}`, oneLine(draft.overview), ''];
  for (const key of SECTION_KEYS) {
    lines.push(`${SECTION_TITLES[key]}: ${draft[key].decisions.map((d) => oneLine(d.choice)).join('; ')}`);
  }
  return lines.join('\n');
}
