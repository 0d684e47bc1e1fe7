import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** Every payload's data size in a decoded history (any object with metadata + data bytes). */
export function payloadSizes(node: unknown, out: number[] = []): number[] {
  if (!node || typeof node !== 'object') return out;
  if (node instanceof Uint8Array) return out;
  const o = node as Record<string, unknown>;
  if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') {
    out.push(o.data.length);
    return out;
  }
  for (const v of Object.values(o)) payloadSizes(v, out);
  return out;
}

/** A finished run's history and its size figures: encoded bytes, events, largest single payload. */
export async function historyFigures(client: Client, workflowId: string) {
  const raw = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId }, maximumPageSize: 10_000 });
  const history = raw.history!;
  return { history, bytes: temporal.api.history.v1.History.encode(history).finish().length, events: history.events!.length, largest: Math.max(...payloadSizes(history.events)) };
}
