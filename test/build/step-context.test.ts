import { MockActivityEnvironment } from '@temporalio/testing';
import { buildStepActivities } from '../../src/activities/build-step';
import type { ActivityDeps } from '../../src/activities/deps';
import { loadLlmConfig } from '../../src/config';
import { LlmGateway } from '../../src/llm/gateway';
import { StaticEmbedder } from '../../src/rag/embed/static-model';
import { KbRegistry } from '../../src/rag/registry';
import { BlobStore } from '../../src/storage/blob-store';
import { tmpDir } from '../support/env';
import { writeTree } from '../support/files';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { paymentRetryPlan, stepReply, write } from './fixtures';

/** A one-shot step (recorded runs, `stepMode: "oneshot"`) is shown the code it is about besides its planned files. */
let llm: ScriptedLlm;
const registry = new KbRegistry(tmpDir('aiml-step-ctx-state-'), new StaticEmbedder());
beforeAll(async () => {
  llm = await startScriptedLlm();
});
afterAll(async () => {
  await llm?.close();
  await registry.closeAll();
});

const KEY = 'sk-proj-Rb4Nc8Kd1Wz6Hs3Jf5Gp0Ta2Ue7Yi4Oo9Pl3Mk6Xq7Lm2Rt9V';
const spec = '# Payment retries\n\nRetry failed payment calls with backoff: a dropped connection to the payment provider is tried again.\n';
const plan = paymentRetryPlan({
  description: 'Wrap the payment client calls in the helper that tries a failed call again, waiting longer each time.',
  purpose: 'call the provider through the helper',
});
const ws = writeTree(tmpDir('aiml-step-ctx-ws-'), {
  'src/net/backoff.ts': [
    `const SERVICE_KEY = "${KEY}";`,
    '/** Calls fn until it succeeds, waiting twice as long after each failure. */',
    'export async function withBackoff<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {',
    '  return fn();',
    '}',
    '',
  ].join('\n'),
  'src/pay/client.ts': 'export class PaymentClient {\n  async charge(cents: number): Promise<void> {\n    await fetch("https://pay.example/charge", { method: "POST", body: String(cents) });\n  }\n}\n',
  'src/cart/totals.ts': 'export function cartTotal(prices: number[]): number {\n  return prices.reduce((a, b) => a + b, 0);\n}\n',
  'SPECS.md': spec,
});

async function stepPrompt(codeModels?: ActivityDeps['codeModels']): Promise<{ prompt: string; redactions: unknown }> {
  const stateDir = tmpDir('aiml-step-ctx-');
  const config = loadLlmConfig({ OPENAI_BASE_URL: llm.url, AIML_MODEL: 'scripted' });
  const deps = { llm: new LlmGateway(config), blobs: new BlobStore(`${stateDir}/blobs`), stateDir, ...(codeModels ? { codeModels } : {}) } as unknown as ActivityDeps;
  llm.enqueue(stepReply([write('src/pay/client.ts', 'export class PaymentClient {}\n')]));
  const before = llm.requests.length;
  const out = await new MockActivityEnvironment().run(buildStepActivities(deps).generateStep, {
    workspace: ws,
    specRef: deps.blobs.put(spec),
    planRef: deps.blobs.put(JSON.stringify(plan)),
    step: 1,
    attempt: 1,
    checkCommand: 'npm test',
    expected: {},
  });
  return { prompt: llm.requests[before]!.messages.map((m) => m.content ?? '').join('\n'), redactions: (out as { redactions?: unknown }).redactions };
}

test("a one-shot step is shown, besides its planned files, the code it is about, ranked by meaning with the worker's models: as pieces with their lines, redacted, not the spec's file", async () => {
  const { prompt, redactions } = await stepPrompt(registry.codeModels());
  // "the helper that tries a failed call again, waiting longer each time" shares no word with withBackoff's code.
  expect(prompt).toMatch(/^### src\/net\/backoff\.ts \(lines 1-5\)$/m);
  expect(prompt).toContain('export async function withBackoff');
  expect(prompt).not.toContain(KEY);
  expect(prompt).toContain('[REDACTED: OpenAI API key]');
  expect(redactions).toMatchObject({ count: 1 });
  expect(prompt).toMatch(/^### src\/pay\/client\.ts$/m); // the planned file, whole, once
  expect(prompt.match(/^### src\/pay\/client\.ts/gm)).toHaveLength(1);
  expect(prompt).not.toMatch(/^### SPECS\.md/m); // in the prompt as the spec already
  expect(prompt).not.toContain('### src/cart/totals.ts');
}, 120_000);

test("without the models the related code is ranked by words over file starts, shown from their start; the spec's file is left out there too", async () => {
  const { prompt } = await stepPrompt();
  expect(prompt.match(/^### .*$/gm)).toEqual(['### src/pay/client.ts', '### src/net/backoff.ts (excerpt)']);
  expect(prompt).toContain(`const SERVICE_KEY = "[REDACTED: OpenAI API key]";\n/** Calls fn until it succeeds`);
}, 60_000);
