import * as wf from '@temporalio/workflow';
import { RUN_BUDGET_PATCH } from './budget';
import { OUTPUT_CHECK_PATCH } from './boundary';
import { LLM_ROUTES_PATCH } from './llm-view';
import { COST_ATTR_PATCH, MEMO_GATES_PATCH } from './run-state';

/** Since this patch a run decides every patch it uses in its first activation. */
export const PATCHES_AT_START = 'patches-at-start';
export const AGENT_LOOP_PATCH = 'agent-loop';
export const CONTINUE_AS_NEW_PATCH = 'build-continue-as-new';
/** An agent step making the same reads turn after turn waits for a person (agent-step.ts). */
export const AGENT_REPEAT_GATE_PATCH = 'agent-repeat-gate';
/** An agent step's first message lists where its code probably is (agentLeads, a local activity). */
export const STEP_LEADS_PATCH = 'step-leads';

const COMMON = [MEMO_GATES_PATCH, COST_ATTR_PATCH, RUN_BUDGET_PATCH];
export const DESIGN_PATCHES = [OUTPUT_CHECK_PATCH, LLM_ROUTES_PATCH, ...COMMON];
export const BUILD_PATCHES = [OUTPUT_CHECK_PATCH, LLM_ROUTES_PATCH, AGENT_LOOP_PATCH, CONTINUE_AS_NEW_PATCH, AGENT_REPEAT_GATE_PATCH, STEP_LEADS_PATCH, ...COMMON];
export const SHIP_PATCHES = COMMON;

/**
 * Decides `ids` now, in the run's first activation, before any local activity.
 *
 * A patch first asked for right after a local activity can land in a different workflow task
 * than the one replay puts it in: when a query (or a slow local activity) makes the server end the
 * first task before the local activity's result, the result and the patch marker are recorded in
 * the next task, but on replay the SDK resolves the local activity from its marker at once and the
 * workflow asks for the patch one task early — "patch marker encountered … but there is no
 * corresponding change command". A real cluster under load does this (test/cluster/replay.test.ts).
 * Asked for up front, every marker sits in the first task, whatever happens after. Later
 * `wf.patched(id)` calls get the remembered answer and record nothing. Runs recorded before this
 * patch keep asking lazily, as they were recorded.
 */
export function decidePatchesAtStart(ids: readonly string[]): void {
  if (!wf.patched(PATCHES_AT_START)) return;
  for (const id of ids) wf.patched(id);
}
