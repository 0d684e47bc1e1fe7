import { Client, Connection } from '@temporalio/client';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { setupTracing, tracingClientInterceptors } from '../../src/observability/tracing';
import { draftReply } from '../support/fixtures';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { startWorker, temporalAddress, tmpDir, uniqueId, waitFor, type TestWorker } from '../support/env';
import { aimlEnv, spawnWorker } from '../support/processes';
import { freePort } from '../support/ports';

const autoDesign = (workspace: string, tag: string) => ({ brief: `Observability ${tag}`, workspace, approval: { mode: 'auto' } });

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = setupTracing({}, { processor: new SimpleSpanProcessor(exporter), service: 'aiml-test' });
  let llm: ScriptedLlm;
  let worker: TestWorker;
  let connection: Connection;
  let client: Client;
  beforeAll(async () => {
    llm = await startScriptedLlm();
    worker = await startWorker({ llmUrl: llm.url, tracing });
    connection = await Connection.connect({ address: temporalAddress() });
    client = new Client({ connection, namespace: 'default', interceptors: tracingClientInterceptors() });
  });
  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
    await llm?.close();
  });

  test('a traced design run is one connected trace: client → workflow → activity → LLM call', async () => {
    llm.enqueue(draftReply('traced'));
    await client.workflow.execute('design', { taskQueue: worker.taskQueue, workflowId: uniqueId('design-trace'), args: [autoDesign(tmpDir(), 'trace')] });
    const spans = await waitFor(async () => {
      const all = exporter.getFinishedSpans();
      return all.some((s) => s.name === 'llm.chat') && all.some((s) => s.name.startsWith('RunWorkflow:design')) ? all : undefined;
    }, 'the run spans');
    const byName = (prefix: string): ReadableSpan => {
      const s = spans.find((x) => x.name.startsWith(prefix));
      if (!s) throw new Error(`no span ${prefix}; have ${spans.map((x) => x.name).join(', ')}`);
      return s;
    };
    const root = byName('StartWorkflow:design');
    const chat = byName('llm.chat');
    const activity = byName('RunActivity:draftArchitecture');
    for (const s of [byName('RunWorkflow:design'), byName('StartActivity:draftArchitecture'), activity, chat]) {
      expect(s.spanContext().traceId).toBe(root.spanContext().traceId);
    }
    expect(chat.parentSpanId).toBe(activity.spanContext().spanId);
    expect(chat.attributes['gen_ai.request.model']).toBe('scripted-model');
    expect(Number(chat.attributes['gen_ai.usage.input_tokens'])).toBeGreaterThan(0);
  });
});

describe('metrics', () => {
  let llm: ScriptedLlm;
  let connection: Connection;
  beforeAll(async () => {
    llm = await startScriptedLlm();
    connection = await Connection.connect({ address: temporalAddress() });
  });
  afterAll(async () => {
    await connection?.close();
    await llm?.close();
  });

  test("the worker's Prometheus endpoint shows Temporal's and the project's metrics after a run", async () => {
    const port = await freePort();
    const taskQueue = uniqueId('metrics');
    const worker = await spawnWorker(
      aimlEnv({ AIML_TASK_QUEUE: taskQueue, OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'sk-test', AIML_MODEL: 'scripted-metrics', AIML_HOME: tmpDir('aiml-home-'), AIML_METRICS_ADDRESS: `127.0.0.1:${port}` }),
    );
    try {
      llm.enqueue(draftReply('metrics'));
      const client = new Client({ connection, namespace: 'default' });
      await client.workflow.execute('design', { taskQueue, workflowId: uniqueId('design-metrics'), args: [autoDesign(tmpDir(), 'metrics')] });
      const text = await waitFor(async () => {
        const body = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
        // Core counts the completed workflow when its last task's answer returns, which can be a
        // moment after the client hears the result: wait for both.
        return /aiml_llm_calls\{[^}]*model="scripted-metrics"/.test(body) && /temporal_workflow_completed\{[^}]*workflow_type="design"/.test(body) ? body : undefined;
      }, 'aiml_llm_calls and temporal_workflow_completed on /metrics', 30_000);
      expect(text).toMatch(/aiml_llm_calls\{[^}]*outcome="ok"[^}]*\} 1/);
      expect(text).toMatch(/aiml_llm_tokens\{[^}]*kind="prompt"/);
      expect(text).toMatch(/aiml_llm_latency_bucket/);
      expect(text).toMatch(/temporal_workflow_completed\{[^}]*workflow_type="design"/);
      // Workflow-side: the auto-approved gate opened and was decided once, with its wait time.
      expect(text).toMatch(/aiml_gates_opened\{[^}]*gate="design\/spec"[^}]*\} 1/);
      expect(text).toMatch(/aiml_gates_decided\{[^}]*decision="approve"[^}]*\} 1/);
      expect(text).toMatch(/aiml_gate_wait_bucket\{[^}]*phase="design"/);
    } finally {
      await worker.stop();
    }
  });
});

test('json log lines carry the time, level, message and the SDK context', async () => {
  const { createLogger } = await import('../../src/observability/logger');
  const lines: string[] = [];
  const logger = createLogger('INFO', 'json', (l) => lines.push(l));
  logger.info('llm call', { workflowId: 'design-1', activityType: 'draftArchitecture', attempt: 2, sdkComponent: 'activity' });
  logger.debug('not at INFO');
  expect(lines).toHaveLength(1);
  const entry = JSON.parse(lines[0]!);
  expect(entry).toMatchObject({ level: 'INFO', message: 'llm call', component: 'activity', workflowId: 'design-1', activityType: 'draftArchitecture', attempt: 2 });
  expect(Date.parse(entry.time)).toBeGreaterThan(Date.parse('2025-01-01'));
});
