import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { RagConfig } from '../../src/rag/config';
import { buildDeps, createWorker } from '../../src/worker-factory';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { temporalAddress, testClient, tmpDir, uniqueId } from '../support/env';

/** A worker on its own task queue with the given retrieval settings (default: the local ONNX model). */
export async function startRagWorker(opts: { llmUrl: string; stateDir?: string; rag?: RagConfig }) {
  const taskQueue = uniqueId('tq-kb');
  const stateDir = opts.stateDir ?? tmpDir('aiml-kb-state-');
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const deps = buildDeps(
    { baseURL: opts.llmUrl, apiKey: 'sk-test-not-a-secret', model: 'scripted-model', timeoutMs: 30_000, stream: false },
    stateDir,
    opts.rag ?? { embeddings: { kind: 'local' }, store: { kind: 'embedded' } },
  );
  const worker = await createWorker({ connection, namespace: 'default', taskQueue, deps, workflowBundle: { codePath: process.env.AIML_TEST_WORKFLOW_BUNDLE! } });
  const running = worker.run();
  return {
    taskQueue,
    stateDir,
    deps,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await deps.kbs?.closeAll();
      await connection.close();
    },
  };
}

export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

/** A small corpus with code in three languages and prose. */
export const CORPUS: Record<string, string> = {
  'README.md': '# Billing service\nCharges customers monthly.\n\n## Retries\nFailed card payments are retried with exponential backoff.\n',
  'src/invoice.ts': [
    '/** Computes the total of an invoice, tax included. */',
    'export function invoiceTotal(lines: { amount: number }[], taxRate: number): number {',
    '  return lines.reduce((s, l) => s + l.amount, 0) * (1 + taxRate);',
    '}',
    '',
    '/** Sends the invoice to the customer by email. */',
    'export async function emailInvoice(to: string, pdf: Buffer): Promise<void> {',
    '  await mailer.send({ to, attachments: [pdf] });',
    '}',
    '',
  ].join('\n'),
  'src/refund.py': 'def refund_payment(payment_id, amount):\n    """Refund part or all of a captured payment."""\n    return gateway.refund(payment_id, amount)\n',
  'notes/ops.txt': 'On-call: page the billing team when the payment provider is down for more than five minutes.\n',
  'assets/logo.png': '\u0000PNG binary',
};

/** A local port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

export type RagWorker = Awaited<ReturnType<typeof startRagWorker>>;

/** For a test file: a scripted LLM, a worker with the local model, and a client, for all its tests. */
export function useRagRig(): { llm: ScriptedLlm; worker: RagWorker; client: Client } {
  const rig = {} as { llm: ScriptedLlm; worker: RagWorker; client: Client };
  let closeClient: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    rig.llm = await startScriptedLlm();
    rig.worker = await startRagWorker({ llmUrl: rig.llm.url });
    const c = await testClient();
    rig.client = c.client;
    closeClient = c.close;
  });
  afterAll(async () => {
    await rig.worker?.stop();
    await closeClient?.();
    await rig.llm?.close();
  });
  return rig;
}
