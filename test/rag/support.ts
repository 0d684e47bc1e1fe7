import fs from 'node:fs';
import path from 'node:path';
import type { RagConfig } from '../../src/rag/config';
import { ensureLocalModel } from '../../src/rag/embed/model-install';
import { aimlEnv } from '../support/processes';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { startWorker, tmpDir } from '../support/env';
import { useRig } from '../support/rig';

const LOCAL_RAG: RagConfig = { embeddings: { kind: 'local' }, store: { kind: 'embedded' } };

/** A worker on its own task queue with the given retrieval settings (default: the local ONNX model). */
export function startRagWorker(opts: { llmUrl: string; stateDir?: string; rag?: RagConfig }) {
  return startWorker({ llmUrl: opts.llmUrl, stateDir: opts.stateDir ?? tmpDir('aiml-kb-state-'), stream: false, rag: opts.rag ?? LOCAL_RAG });
}

export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

/** A small corpus with code in three languages and prose. */
export const CORPUS: Record<string, string> = {
  'README.md': '# Billing service\nCharges customers monthly, by card or by bank transfer, in the currency of their contract.\n\n## Retries\nFailed card payments are retried with exponential backoff, three times at most.\n',
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

export type RagWorker = Awaited<ReturnType<typeof startRagWorker>>;

/** For a test file: a scripted LLM, a worker with the local model, and a client, for all its tests. */
export function useRagRig() {
  return useRig({ stream: false, rag: LOCAL_RAG, stateDir: tmpDir('aiml-kb-state-') });
}

export interface KbCliRig {
  llm: ScriptedLlm;
  worker: RagWorker;
  /** The environment for `aiml kb …` child processes: this worker's queue, home and model. */
  env: NodeJS.ProcessEnv;
  home: string;
}

/**
 * For a test file that drives `aiml kb …` end to end: a scripted LLM, a worker (local model;
 * `rag` picks the store) and the CLI's environment, for all its tests. Read it inside tests.
 */
export function useKbCliRig(opts: { rag?: () => RagConfig; env?: () => Record<string, string> } = {}): KbCliRig {
  const rig = {} as KbCliRig;
  beforeAll(async () => {
    rig.llm = await startScriptedLlm();
    rig.home = tmpDir('aiml-home-');
    rig.worker = await startRagWorker({ llmUrl: rig.llm.url, stateDir: rig.home, rag: opts.rag?.() });
    rig.env = aimlEnv({ AIML_TASK_QUEUE: rig.worker.taskQueue, AIML_HOME: rig.home, AIML_EMBED_MODEL_DIR: path.dirname(ensureLocalModel().onnx), ...opts.env?.() });
  }, 90_000);
  afterAll(async () => {
    await rig.worker?.stop();
    await rig.llm?.close();
  });
  return rig;
}
