import { SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { Context } from '@temporalio/activity';
import type { Retriever } from '../activities/deps';
import type { ChatModel, ChatRequest, ChatResponse } from '../llm/gateway';
import type { AimlMetrics } from './metrics';

/**
 * Decorators that give the LLM and the retriever a span each call and a metrics sample, without
 * the domain modules knowing about either. The worker wraps its dependencies once.
 */

const tracer = (): Tracer => trace.getTracer('aiml');

/** The activity's logger (it adds workflow id, run id, activity type and attempt), when there is one. */
function activityLog(): Context['log'] | undefined {
  try {
    return Context.current().log;
  } catch {
    return undefined;
  }
}

export function observeChatModel<M extends ChatModel & { readonly model: string }>(inner: M, metrics: AimlMetrics): M {
  const chat = async (req: ChatRequest): Promise<ChatResponse> => {
    const model = req.model ?? inner.model;
    return tracer().startActiveSpan('llm.chat', { attributes: { 'gen_ai.request.model': model, 'aiml.llm.messages': req.messages.length, 'aiml.llm.tools': req.tools?.length ?? 0 } }, async (span) => {
      const started = performance.now();
      try {
        const res = await inner.chat(req);
        span.setAttributes({
          'gen_ai.response.model': res.model,
          'gen_ai.usage.input_tokens': res.usage.promptTokens,
          'gen_ai.usage.output_tokens': res.usage.completionTokens,
          'aiml.llm.finish_reason': res.finishReason ?? '',
          ...(res.usage.costUsd !== undefined ? { 'aiml.llm.cost_usd': res.usage.costUsd } : {}),
        });
        activityLog()?.info('llm call', { model: res.model || model, promptTokens: res.usage.promptTokens, completionTokens: res.usage.completionTokens, costUsd: res.usage.costUsd, latencyMs: Math.round(res.latencyMs), finishReason: res.finishReason });
        metrics.llmCall({ model: res.model || model, outcome: 'ok', latencyMs: res.latencyMs, promptTokens: res.usage.promptTokens, completionTokens: res.usage.completionTokens, costUsd: res.usage.costUsd });
        return res;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        activityLog()?.warn('llm call failed', { model, code: typeof code === 'string' ? code : undefined, error: err instanceof Error ? err.message : String(err) });
        metrics.llmCall({ model, outcome: 'error', latencyMs: performance.now() - started, promptTokens: 0, completionTokens: 0, ...(typeof code === 'string' ? { code } : {}) });
        throw err;
      } finally {
        span.end();
      }
    });
  };
  return new Proxy(inner, { get: (target, prop, receiver) => (prop === 'chat' ? chat : Reflect.get(target, prop, receiver)) });
}

export function observeRetriever(inner: Retriever, metrics: AimlMetrics): Retriever {
  return {
    search: (kb, query, k) =>
      tracer().startActiveSpan('retrieval.search', { attributes: { 'aiml.kb': kb, 'aiml.k': k } }, async (span) => {
        const started = performance.now();
        try {
          const hits = await inner.search(kb, query, k);
          span.setAttribute('aiml.hits', hits.length);
          metrics.retrieval({ kb, latencyMs: performance.now() - started, hits: hits.length });
          return hits;
        } catch (err) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
          throw err;
        } finally {
          span.end();
        }
      }),
  };
}
