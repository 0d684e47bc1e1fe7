import { agentToolActivities } from '../../src/activities/agent-tools';
import type { ActivityDeps } from '../../src/activities/deps';
import { paymentRetryPlan } from '../build/fixtures';
import { StaticEmbedder } from '../../src/rag/embed/static-model';
import { KbRegistry } from '../../src/rag/registry';
import { BlobStore } from '../../src/storage/blob-store';
import { tmpDir } from '../support/env';
import { writeTree } from '../support/files';

const plan = paymentRetryPlan({
  description: 'Wrap the payment client calls in the retry helper so a dropped connection is tried again with backoff.',
  purpose: 'call the provider through the retry helper',
});

describe('agentLeads', () => {
  const registry = new KbRegistry(tmpDir('aiml-leads-state-'), new StaticEmbedder());
  afterAll(() => registry.closeAll());
  const blobs = new BlobStore(tmpDir('aiml-leads-blobs-'));
  const planRef = blobs.put(JSON.stringify(plan));
  const spec = '# Payment retries\n\nRetry failed payment calls with backoff: a dropped connection to the payment provider is tried again.\n';
  const specRef = blobs.put(spec);
  const activities = (codeModels?: ActivityDeps['codeModels']) => agentToolActivities({ blobs, stateDir: tmpDir('aiml-leads-'), ...(codeModels ? { codeModels } : {}) } as unknown as ActivityDeps);
  const ws = writeTree(tmpDir('aiml-leads-ws-'), {
    'src/net/retry.ts': '/** Calls fn until it succeeds, waiting twice as long after each failure. */\nexport async function retryWithBackoff<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {\n  return fn();\n}\n',
    'src/pay/client.ts': 'export class PaymentClient {\n  async charge(cents: number): Promise<void> {\n    await fetch("https://pay.example/charge", { method: "POST", body: String(cents) });\n  }\n}\n',
    'SPECS.md': spec,
    'src/cart/totals.ts': 'export function cartTotal(prices: number[]): number {\n  return prices.reduce((a, b) => a + b, 0);\n}\n',
  });

  test("lists search_code's first places for the step, by meaning with the worker's models, by words without; not the spec's own file", async () => {
    const byMeaning = await activities(registry.codeModels()).agentLeads({ workspace: ws, planRef, specRef, step: 1 });
    expect(byMeaning.summary).toMatch(/^\d+ places to look first, by meaning$/);
    const lines = byMeaning.leads!.split('\n');
    expect(lines.slice(0, 2).sort()).toEqual(['- src/net/retry.ts:1-4 (retryWithBackoff)', '- src/pay/client.ts:1-5 (PaymentClient)']);
    // The spec's own file, the best match by far, is in the first message already: no lead.
    expect(byMeaning.leads).not.toContain('SPECS.md');
    const byWords = await activities().agentLeads({ workspace: ws, planRef, specRef, step: 1 });
    expect(byWords.summary).toMatch(/, by words$/);
    expect(byWords.leads).toContain('- src/pay/client.ts:1-5 (PaymentClient)');
  }, 120_000);

  test('never fails the step for want of leads; a step the plan does not have is an input error', async () => {
    const none = await activities().agentLeads({ workspace: tmpDir('aiml-leads-empty-'), planRef, specRef, step: 1 });
    expect(none).toEqual({ summary: 'no leads: nothing in the workspace matches the step' });
    await expect(activities().agentLeads({ workspace: ws, planRef, specRef, step: 2 })).rejects.toThrow('The plan has no step 2');
  });
});
