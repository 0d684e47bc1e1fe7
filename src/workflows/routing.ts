import * as wf from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import type { RunRouting } from '../contracts/routing';

/** Since this patch a run started with routing sends its host-independent activities to the shared queue. */
export const HOST_ROUTING_PATCH = 'host-routing';

/**
 * Where a run's activities go. The run's own task queue is its host's queue (the CLI starts it
 * there), so workspace work and local activities stay on the host by default; `shared()` sends an
 * activity to the queue every worker polls. A run with no routing keeps one queue for everything.
 */
export interface Routes {
  /** The owning host, when the run is routed. */
  host: string | null;
  shared<T extends ActivityOptions>(options: T): T;
}

export function routesFor(routing: RunRouting | undefined): Routes {
  // Only routed runs reach the patch check, so histories recorded before it replay unchanged.
  if (!routing || !wf.patched(HOST_ROUTING_PATCH)) return { host: null, shared: (o) => o };
  return { host: routing.host, shared: (o) => ({ ...o, taskQueue: routing.sharedQueue }) };
}
