import type { Client } from '@temporalio/client';
import { stateQuery, type ToolCallView } from '../contracts';
import { describeRun, type RunView } from './run-view';

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/**
 * Follows a run by polling describe() (no worker needed), reporting each new step, until it ends —
 * or, unless `throughGates`, until it waits for a decision.
 */
export async function followRun(
  client: Client,
  workflowId: string,
  opts: { onStep?: (view: RunView) => void; onToolCall?: (call: ToolCallView) => void; throughGates?: boolean; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<RunView> {
  let last = '';
  const shown = new Set<string>();
  for (;;) {
    const view = await describeRun(client, workflowId);
    const key = `${view.status}|${view.step}|${view.pendingGate}`;
    if (key !== last) {
      last = key;
      opts.onStep?.(view);
    }
    if (opts.onToolCall && !FINAL.has(view.status)) await newToolCalls(client, view.pendingGateWorkflowId ?? workflowId, shown, opts.onToolCall);
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

/** Tool calls of a BUILD agent step that finished since the last poll (from the run's state; needs a worker). */
async function newToolCalls(client: Client, workflowId: string, shown: Set<string>, report: (c: ToolCallView) => void): Promise<void> {
  let calls: ToolCallView[];
  try {
    const state = await client.workflow.getHandle(workflowId).query(stateQuery);
    calls = (state.details.toolCalls as ToolCallView[] | undefined) ?? [];
  } catch {
    return; // no worker answers queries now: the step lines still show progress
  }
  for (const c of calls) {
    const key = `${c.step}|${c.id}|${c.turn}|${c.status}`;
    if (c.status === 'running' || shown.has(key)) continue;
    shown.add(key);
    report(c);
  }
}

/** `  step 1 · grep "EmbeddingProvider" → 7 hits · 1.2 KB · 35 ms` */
export function toolCallLine(c: ToolCallView): string {
  const size = c.resultChars === undefined ? '' : ` · ${c.resultChars < 1024 ? `${c.resultChars} B` : `${(c.resultChars / 1024).toFixed(1)} KB`}`;
  const ms = c.ms === undefined ? '' : ` · ${c.ms < 1000 ? `${c.ms} ms` : `${(c.ms / 1000).toFixed(1)} s`}`;
  return `  step ${c.step} · ${c.args} → ${c.status === 'ok' ? '' : `${c.status}: `}${c.result ?? ''}${size}${ms}`;
}
