/**
 * Where a run's work goes when several workers on several hosts serve one namespace. Plain data:
 * the CLI puts it in the workflow input, workflows read it, workers derive their queues from it.
 */
export interface RunRouting {
  /** The host that holds the workspace (its worker's AIML_HOST_ID). */
  host: string;
  /** That host's task queue: the run's workflow tasks and everything touching the workspace, journal or local state. */
  hostQueue: string;
  /** The queue every worker polls: LLM calls and other host-independent work. */
  sharedQueue: string;
}

/** A host id: letters, digits, dot, dash, underscore; it becomes part of a task queue name. */
export const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** The task queue of one host, derived from the shared queue's name (`aiml` → `aiml-host-<id>`). */
export function hostQueueName(sharedQueue: string, host: string): string {
  return `${sharedQueue}-host-${host}`;
}

export function routingFor(sharedQueue: string, host: string): RunRouting {
  return { host, hostQueue: hostQueueName(sharedQueue, host), sharedQueue };
}

/** Memo key the client sets at start, so `aiml status` and `diff` know the owning host with no worker. */
export const ROUTING_MEMO_KEY = 'aimlRouting';
