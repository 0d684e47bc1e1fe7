import type { Client } from '@temporalio/client';
import { describeRun, type RunView } from './run-view';

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/**
 * Follows a run by polling describe() (no worker needed), reporting each new step, until it ends —
 * or, unless `throughGates`, until it waits for a decision.
 */
export async function followRun(
  client: Client,
  workflowId: string,
  opts: { onStep?: (view: RunView) => void; throughGates?: boolean; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<RunView> {
  let last = '';
  for (;;) {
    const view = await describeRun(client, workflowId);
    const key = `${view.status}|${view.step}|${view.pendingGate}`;
    if (key !== last) {
      last = key;
      opts.onStep?.(view);
    }
    if (FINAL.has(view.status)) return view;
    if (view.status === 'awaiting_approval' && !opts.throughGates) return view;
    if (opts.signal?.aborted) return view;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 400));
  }
}

export function stepLine(v: RunView): string {
  const t = new Date().toISOString().slice(11, 19);
  return `[${t}] ${v.workflowId} ${v.status}: ${v.step}`;
}
