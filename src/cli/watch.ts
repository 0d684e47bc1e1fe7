import type { RunView } from '../client/run-view';
import { statusLabel } from './run-view';

/** One progress line: time, run, status, step, and what is going wrong if anything is. */
export function stepLine(v: RunView): string {
  const t = new Date().toISOString().slice(11, 19);
  if (v.trouble?.kind === 'run_failed') return `[${t}] ${v.workflowId} failed: ${v.trouble.line}`;
  return `[${t}] ${v.workflowId} ${statusLabel(v)}: ${v.step}${v.trouble ? ` — ${v.trouble.line}` : ''}`;
}
