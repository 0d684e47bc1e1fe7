import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, NoopSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';

/**
 * OpenTelemetry tracing: client → workflow → activities → LLM / retrieval spans in one trace.
 * The workflow half lives in the workflow bundle (WORKFLOW_INTERCEPTOR_MODULES, always bundled);
 * its spans leave the sandbox through the `exporter` sink, which every worker registers — a no-op
 * processor when no OTLP endpoint is configured.
 */

export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')];

export interface Tracing {
  readonly enabled: boolean;
  readonly processor: SpanProcessor;
  readonly resource: Resource;
  shutdown(): Promise<void>;
}

let installedGlobal: Tracing | undefined;

/** Flushes and stops this process's exporting tracer, if one was set up (call before exit). */
export async function shutdownTracing(): Promise<void> {
  await installedGlobal?.shutdown();
}

/**
 * Tracing for this process. With `exporter` (tests) or an OTLP endpoint in the environment
 * (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), spans are exported; else
 * nothing is recorded.
 */
export function setupTracing(env: NodeJS.ProcessEnv, opts: { exporter?: SpanExporter; processor?: SpanProcessor; service?: string } = {}): Tracing {
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || opts.service || 'aiml-worker' });
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const processor =
    opts.processor ?? (opts.exporter ? new BatchSpanProcessor(opts.exporter) : endpoint ? new BatchSpanProcessor(new OTLPTraceExporter()) : new NoopSpanProcessor());
  const enabled = !(processor instanceof NoopSpanProcessor);
  const tracing: Tracing = { enabled, processor, resource, shutdown: () => processor.shutdown() };
  if (enabled && !installedGlobal) {
    installedGlobal = tracing;
    const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  }
  return tracing;
}

/** Worker options that carry tracing: activity interceptors and the workflow span sink. */
export function tracingWorkerOptions(tracing: Tracing): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  return {
    interceptors: {
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) },
  };
}

/** Client interceptors: the start of a run becomes the root span of its trace. */
export function tracingClientInterceptors(): { workflow: WorkflowClientInterceptor[] } {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}
