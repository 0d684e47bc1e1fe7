import type { RunView } from '../client/run-view';
import { decisionCommands, describeBudget, type IngestProgress, type LlmMemo, type Usage } from '../contracts';

export { toRunStatus, type RunView } from '../client/run-view';

/** Status label: a run whose workflow task keeps failing is stuck, whatever its memo says. */
export function statusLabel(v: RunView): string {
  return v.trouble?.kind === 'workflow_task_failing' ? `stuck (was ${v.status})` : v.status;
}

/** `$0.0123`, with what it leaves out: calls of models the price table does not know. */
export function costLine(u: Usage): string {
  if (u.costUsd === undefined) return u.llmCalls ? `unknown (${u.unpricedCalls ?? u.llmCalls} call(s) of a model with no price: set AIML_PRICES)` : '$0';
  return `$${u.costUsd.toFixed(4)}${u.unpricedCalls ? ` (+ ${u.unpricedCalls} call(s) of a model with no price: set AIML_PRICES)` : ''}`;
}

export function formatRun(v: RunView, sync?: IngestProgress): string {
  const lines = [`${v.workflowId}  ${v.phase}  ${statusLabel(v)}`];
  if (v.type === 'ingest') lines.push(...syncLines(v, sync));
  else {
    lines.push(
      `  step:    ${v.step}`,
      `  tokens:  ${v.usage.totalTokens} (prompt ${v.usage.promptTokens}, completion ${v.usage.completionTokens}, ${v.usage.llmCalls} calls${v.usage.estimatedCalls ? `, ${v.usage.estimatedCalls} counted by aiml` : ''})`,
      `  cost:    ${costLine(v.usage)}`,
    );
  }
  if (v.host) lines.push(`  host:    ${v.host} (task queue ${v.taskQueue})`);
  if (v.budget) lines.push(`  budget:  ${describeBudget(v.budget)}`);
  for (const [phase, u] of Object.entries(v.byPhase ?? {})) lines.push(`  ${`${phase}:`.padEnd(8)} ${u.totalTokens} tokens, ${costLine(u)}`);
  if (v.llm) lines.push(...llmLines(v.llm));
  if (v.trouble && v.trouble.kind !== 'run_failed') lines.push(`  problem: ${v.trouble.line}`);
  if (v.pendingGate) {
    const target = v.pendingGateWorkflowId ?? v.workflowId;
    const cmds = decisionCommands(v.workflowId, v.pendingGate);
    lines.push(`  waiting: gate ${v.pendingGate}${target !== v.workflowId ? ` (in ${target})` : ''}`);
    lines.push(`  approve: ${cmds.approve}`);
    lines.push(`  reject:  ${cmds.reject}`);
  }
  if (v.children) for (const [k, id] of Object.entries(v.children)) lines.push(`  ${k}: ${id}`);
  for (const a of v.artifacts) lines.push(`  wrote:   ${a}`);
  if (v.error) lines.push(`  error:   ${v.error}`);
  return lines.join('\n');
}

/** A knowledge-base sync: what it indexed (its result) or how far it has got (its worker's answer); it calls no model. */
function syncLines(v: RunView, p: IngestProgress | undefined): string[] {
  if (!p) return [`  step:    ${v.closeTime ? v.step : 'no worker answered for its progress'}`];
  return [
    `  kb:      ${p.kb}${p.root ? ` (${p.root})` : ''}`,
    `  step:    ${p.phase}${p.phase === 'indexing' ? `, batch ${p.batchesDone} of ${p.batches}` : ''}`,
    `  files:   ${p.filesIndexed} of ${p.filesToIndex} indexed, ${p.filesUnchanged} unchanged, ${p.filesRemoved} removed`,
    `  chunks:  ${p.chunksIndexed} indexed (${p.chunksEmbedded} embedded, ${p.chunksCached} from cache), ${p.chunksRemoved} removed`,
  ];
}

/** Which provider serves each role, the latest call's provider, and the switches so far. */
export function llmLines(m: LlmMemo): string[] {
  const lines = m.routes.map((r, i) => `  ${i === 0 ? 'models: ' : '        '} ${r}`);
  if (m.last) lines.push(`  model:   ${m.last}`);
  if (m.cacheHits) lines.push(`  cache:   ${m.cacheHits} answer(s) from the response cache`);
  if (m.switchTotal) lines.push(`  switches: ${m.switchTotal}${m.switchTotal > m.switches.length ? ` (latest ${m.switches.length})` : ''}`, ...m.switches.map((s) => `    ${s}`));
  return lines;
}
