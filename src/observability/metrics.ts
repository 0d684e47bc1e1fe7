import type { MetricMeter, MetricTags } from '@temporalio/common';

/**
 * The project's own metrics, recorded through Temporal's metric meter so they are served on the
 * same Prometheus endpoint as the worker's (AIML_METRICS_ADDRESS). Names are prefixed `aiml_`.
 * Workflow-side metrics (gate waits, fix attempts) use the workflow's replay-safe meter instead.
 */
export interface LlmCallSample {
  model: string;
  outcome: 'ok' | 'error';
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
  /** Error code, when the call failed (e.g. LLM_RATE_LIMITED). */
  code?: string;
  /** Price of the call in US dollars, when the price table knows the model. */
  costUsd?: number;
}

export interface AimlMetrics {
  llmCall(s: LlmCallSample): void;
  retrieval(s: { kb: string; latencyMs: number; hits: number }): void;
}

export const NO_METRICS: AimlMetrics = { llmCall: () => {}, retrieval: () => {} };

export function createMetrics(meter: MetricMeter): AimlMetrics {
  const calls = meter.createCounter('aiml_llm_calls', 'calls', 'LLM calls by model and outcome');
  const latency = meter.createHistogram('aiml_llm_latency', 'int', 'ms', 'LLM call latency');
  const tokens = meter.createCounter('aiml_llm_tokens', 'tokens', 'LLM tokens by model and kind (prompt, completion)');
  const retrievals = meter.createHistogram('aiml_retrieval_latency', 'int', 'ms', 'Knowledge-base retrieval latency');
  const hits = meter.createCounter('aiml_retrieval_hits', 'hits', 'Snippets returned by knowledge-base retrieval');
  // Counters take whole numbers: cost is counted in millionths of a dollar.
  const cost = meter.createCounter('aiml_llm_cost_microusd', 'microusd', 'LLM cost by model, in millionths of a US dollar');
  return {
    llmCall(s) {
      const tags: MetricTags = { model: s.model, outcome: s.outcome, ...(s.code ? { code: s.code } : {}) };
      calls.add(1, tags);
      latency.record(Math.max(0, Math.round(s.latencyMs)), { model: s.model, outcome: s.outcome });
      if (s.promptTokens) tokens.add(s.promptTokens, { model: s.model, kind: 'prompt' });
      if (s.completionTokens) tokens.add(s.completionTokens, { model: s.model, kind: 'completion' });
      if (s.costUsd) cost.add(Math.round(s.costUsd * 1e6), { model: s.model });
    },
    retrieval(s) {
      retrievals.record(Math.max(0, Math.round(s.latencyMs)), { kb: s.kb });
      hits.add(s.hits, { kb: s.kb });
    },
  };
}
