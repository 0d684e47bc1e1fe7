import type { RunView } from '../client/run-view';
import type { ToolCallView } from '../contracts';
import { statusLabel } from './run-view';

/** One progress line: time, run, status, step, and what is going wrong if anything is. */
export function stepLine(v: RunView): string {
  const t = new Date().toISOString().slice(11, 19);
  if (v.trouble?.kind === 'run_failed') return `[${t}] ${v.workflowId} failed: ${v.trouble.line}`;
  return `[${t}] ${v.workflowId} ${statusLabel(v)}: ${v.step}${v.trouble ? ` — ${v.trouble.line}` : ''}`;
}

/** What came of a call: a read tool's result repeats the call (`grep "X" · 7 hits`), shown once. */
function outcome(c: ToolCallView): string {
  const r = c.result ?? '';
  const rest = r.startsWith(c.args) ? r.slice(c.args.length).replace(/^ · /, '') : '';
  return rest || r;
}

/** `  step 1 · grep "EmbeddingProvider" → 7 hits · 1.2 KB · 35 ms` */
export function toolCallLine(c: ToolCallView): string {
  const size = c.resultChars === undefined ? '' : ` · ${c.resultChars < 1024 ? `${c.resultChars} B` : `${(c.resultChars / 1024).toFixed(1)} KB`}`;
  const ms = c.ms === undefined ? '' : ` · ${c.ms < 1000 ? `${c.ms} ms` : `${(c.ms / 1000).toFixed(1)} s`}`;
  return `  step ${c.step} · ${c.args} → ${c.status === 'ok' ? '' : `${c.status}: `}${outcome(c)}${size}${ms}`;
}
