import { z } from 'zod';

/**
 * The structured architecture draft the LLM must return. Requested as a JSON-schema structured
 * output, then validated here; the six sections map one-to-one onto the DESIGN return format.
 */

const Decision = z.object({
  choice: z.string().min(3).max(200).describe('The decision, e.g. "Primary LLM: gpt-4o-mini via the OpenAI API"'),
  rationale: z.string().min(3).max(500).describe('Why this choice, in one or two sentences'),
});

const Section = z.object({
  summary: z.string().min(20).max(800).describe('Two to four sentences covering the section as a whole'),
  decisions: z.array(Decision).min(1).max(8),
  risks: z.array(z.string().min(3).max(300)).max(6).describe('Failure modes or open risks for this section'),
});

export const SECTION_KEYS = [
  'llmIntegration',
  'vectorDatabase',
  'agentArchitecture',
  'deployment',
  'safety',
  'performance',
] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];

/** Section titles exactly as the DESIGN return format names them. */
export const SECTION_TITLES: Record<SectionKey, string> = {
  llmIntegration: 'LLM Integration Strategy',
  vectorDatabase: 'Vector Database Design',
  agentArchitecture: 'Agent System Architecture',
  deployment: 'Model Deployment Strategy',
  safety: 'Safety & Ethics Framework',
  performance: 'Performance Requirements',
};

export const SECTION_HINTS: Record<SectionKey, string> = {
  llmIntegration: 'Provider selection, API patterns, fallback strategies',
  vectorDatabase: 'Technology choice, embedding strategy, indexing approach',
  agentArchitecture: 'Orchestration patterns, tool integration, memory design',
  deployment: 'Serving approach, scaling plan, monitoring requirements',
  safety: 'Content filtering, bias mitigation, human oversight',
  performance: 'Latency targets, cost optimization, caching strategies',
};

export const ArchitectureDraftSchema = z.object({
  title: z.string().min(3).max(120),
  overview: z.string().min(20).max(1200),
  llmIntegration: Section.describe(SECTION_HINTS.llmIntegration),
  vectorDatabase: Section.describe(SECTION_HINTS.vectorDatabase),
  agentArchitecture: Section.describe(SECTION_HINTS.agentArchitecture),
  deployment: Section.describe(SECTION_HINTS.deployment),
  safety: Section.describe(SECTION_HINTS.safety),
  performance: Section.describe(SECTION_HINTS.performance),
  openQuestions: z.array(z.string().min(3).max(300)).max(8),
});

export type ArchitectureDraft = z.infer<typeof ArchitectureDraftSchema>;

/** JSON schema for `response_format: {type: 'json_schema'}` (strict: every key required, no extras). */
let jsonSchema: Record<string, unknown> | undefined;
export function architectureJsonSchema(): Record<string, unknown> {
  return (jsonSchema ??= z.toJSONSchema(ArchitectureDraftSchema, { target: 'draft-7' }) as Record<string, unknown>);
}

const PLACEHOLDER = /^(tbd|todo|n\/a|none|\.\.\.|placeholder|lorem ipsum)\b/i;

/** Checks a schema-valid draft for content problems a schema cannot express. */
export function semanticProblems(draft: ArchitectureDraft): string[] {
  const problems: string[] = [];
  for (const key of SECTION_KEYS) {
    const s = draft[key];
    if (PLACEHOLDER.test(s.summary.trim())) problems.push(`${SECTION_TITLES[key]}: summary is a placeholder`);
    s.decisions.forEach((d, i) => {
      if (PLACEHOLDER.test(d.choice.trim())) problems.push(`${SECTION_TITLES[key]}: decision ${i + 1} is a placeholder`);
    });
  }
  return problems;
}
