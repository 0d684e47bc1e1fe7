import type { ArchitectureDraft } from '../../src/contracts/design';

const section = (topic: string, tag: string) => ({
  summary: `${topic} for ${tag}: a concrete plan with named technologies and clear trade-offs.`,
  decisions: [
    { choice: `${topic} choice A (${tag})`, rationale: `A is the simplest reliable option for ${tag}.` },
    { choice: `${topic} choice B (${tag})`, rationale: 'B covers the failure mode A leaves open.' },
  ],
  risks: [`${topic} risk for ${tag}`],
});

/** A valid architecture draft; `tag` makes each one distinguishable in assertions. */
export function sampleDraft(tag = 'v1'): ArchitectureDraft {
  return {
    title: `Support assistant architecture ${tag}`,
    overview: `A retrieval-augmented support assistant (${tag}) answering from product docs with human oversight.`,
    llmIntegration: section('LLM provider', tag),
    vectorDatabase: section('Vector store', tag),
    agentArchitecture: section('Agent orchestration', tag),
    deployment: section('Serving', tag),
    safety: section('Safety filter', tag),
    performance: section('Latency budget', tag),
    openQuestions: [`Which SLA applies to ${tag}?`],
  };
}

export const draftReply = (tag = 'v1', delayMs?: number) => ({ content: JSON.stringify(sampleDraft(tag)), delayMs });
