/**
 * npm run bench:llm — first the gateway against the scripted server (bench/llm-gateway.ts; alone
 * with `-- --gateway`), then the local provider (SmolLM2-135M-Instruct Q4_1 on the CPU, in process):
 *  1. model load time and process RSS before/after loading (this process is the worker);
 *  2. time to first token and generation speed (tokens/s after the first token), plain text,
 *     median of 3 runs;
 *  3. a whole auto-approved design run on it (real dev server, in-process worker): wall time and
 *     tokens, with the default grammar caps.
 * Figures depend heavily on how busy the machine is: the load average is printed beside them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_LOCAL_CAPS, loadLlmConfig } from '../src/config';
import { LlmGateway } from '../src/llm/gateway';
import { ensureChatModel } from '../src/llm/local/install';
import { installRuntimeLogger } from '../src/temporal/runtime';
import { gatewayBench } from './llm-gateway';
import { ms, percentile, withBenchWorker } from './support';

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

async function main(): Promise<void> {
  await gatewayBench();
  if (process.argv.includes('--gateway')) return;
  const modelPath = ensureChatModel(process.env, (l) => console.log(l));
  const config = { ...loadLlmConfig({ AIML_LOCAL_MODEL: modelPath }), localModelPath: modelPath };
  console.log(`model: ${modelPath} (${mb(fs.statSync(modelPath).size)}); load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}`);

  // 1. Load.
  const rssBefore = process.memoryUsage().rss;
  const gateway = new LlmGateway(config);
  const t0 = performance.now();
  await gateway.warm();
  console.log(`load: ${ms(performance.now() - t0)}; RSS ${mb(rssBefore)} → ${mb(process.memoryUsage().rss)} with the model loaded`);

  // 2. Time to first token, tokens/s.
  const ttft: number[] = [];
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    let first = 0;
    const res = await gateway.chat({
      messages: [{ role: 'user', content: `Explain in a few sentences what a vector database is for (${i}).` }],
      maxTokens: 96,
      onProgress: () => (first ||= performance.now()),
    });
    const end = performance.now();
    ttft.push(first - started);
    rates.push((res.usage.completionTokens - 1) / ((end - first) / 1000));
  }
  console.log(`time to first token: p50 ${ms(percentile(ttft, 50))}; generation: p50 ${percentile(rates, 50).toFixed(1)} tokens/s (3 runs of ≤96 tokens)`);
  await gateway.close();

  // 3. A whole design run, auto-approved.
  installRuntimeLogger({ AIML_LOG_LEVEL: 'ERROR' });
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-bench-'));
  await withBenchWorker(config, 'bench-llm', async (client) => {
    const t1 = performance.now();
    const handle = await client.workflow.start('design', {
      taskQueue: 'bench-llm',
      workflowId: `bench-llm-${Date.now()}`,
      args: [{ brief: 'A support chatbot that answers from product documentation', workspace, approval: { mode: 'auto' } }],
    });
    const result = await handle.result();
    const wall = performance.now() - t1;
    console.log(
      `design run on the local model: ${(wall / 1000).toFixed(1)} s wall, ${result.usage.completionTokens} output tokens in ${result.usage.llmCalls} call(s) ` +
        `(grammar caps: strings ≤ ${DEFAULT_LOCAL_CAPS.maxLength} chars, arrays ≤ ${DEFAULT_LOCAL_CAPS.maxItems} items); worker RSS ${mb(process.memoryUsage().rss)}`,
    );
  });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
