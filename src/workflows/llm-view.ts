import * as wf from '@temporalio/workflow';
import type { Activities } from '../activities';
import { LLM_SWITCHES_KEPT, providerLine, type LlmRunView, type ProviderUse } from '../contracts/llm';
import type { Phase } from '../contracts/run';
import { LOCAL_IO } from './activity-options';
import type { RunTracker } from './run-state';

/** Since this patch, design and build record the worker's routing table at start. */
export const LLM_ROUTES_PATCH = 'llm-routes';

const local = wf.proxyLocalActivities<Activities>(LOCAL_IO);

type WithLlm = { llm?: LlmRunView };

function view<P extends Phase>(run: RunTracker<P>): LlmRunView {
  const details = run.state.details as WithLlm;
  return (details.llm ??= { switches: [], switchTotal: 0, cacheHits: 0 });
}

/** Records which provider and model serve each role (the worker's routing table), shown from the start. */
export async function recordRoutes<P extends Phase>(run: RunTracker<P>): Promise<void> {
  if (!wf.patched(LLM_ROUTES_PATCH)) return;
  const routes = await local.llmRoutes.executeWithOptions({ ...LOCAL_IO, summary: 'which model provider serves each role' }, []);
  view(run).routes = routes.routes;
  if (routes.open.length) wf.log.info('model providers skipped for now', { open: routes.open.map((o) => `${o.name}: ${o.reason}`) });
  run.publish();
}

/**
 * Notes which provider answered an LLM activity (from its result). A call answered by another
 * than the role's first provider is a switch: kept (the latest few) with its reasons, for
 * `aiml status`, `watch` and the UI. Publishing is left to the caller's next step.
 */
export function noteProvider<P extends Phase>(run: RunTracker<P>, used: ProviderUse | undefined): void {
  if (!used) return;
  const v = view(run);
  v.last = used;
  if (used.cached) v.cacheHits += 1;
  if (used.skipped.length) {
    v.switches.push({ ...used, at: new Date(Date.now()).toISOString() });
    if (v.switches.length > LLM_SWITCHES_KEPT) v.switches.splice(0, v.switches.length - LLM_SWITCHES_KEPT);
    v.switchTotal += 1;
    wf.log.info('model provider switch', { provider: providerLine(used) });
  }
}
