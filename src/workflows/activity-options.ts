import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/** LLM calls: heartbeat while streaming; 4xx arrive as non-retryable failures, 429 with its own delay. */
export const LLM_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6 },
};

const IO_RETRY = { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 } as const;

/** Local file and store work: short, retried a few times. */
export const IO_ACTIVITY: ActivityOptions = { startToCloseTimeout: '2 minutes', heartbeatTimeout: '30 seconds', retry: IO_RETRY };

/**
 * Applying a build step, then running its check: heartbeats every second, so a killed worker is
 * noticed in seconds and the (idempotent) apply retried. Callers stretch startToClose by the check timeout.
 */
export const BUILD_APPLY_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '6 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 10 },
};

/**
 * Short local work (reading a few files, writing one) as local activities: the worker runs them
 * inside the workflow task, with no extra server round trip; results are still recorded.
 */
export const LOCAL_IO: LocalActivityOptions = { startToCloseTimeout: '1 minute', localRetryThreshold: '10 seconds', retry: IO_RETRY };

/**
 * The agent's read tools and edits (prepare, apply): short local work, run inside the workflow
 * task (one marker event each, no extra round trip). An apply is idempotent (hash-guarded).
 */
export const AGENT_LOCAL: LocalActivityOptions = { startToCloseTimeout: '1 minute', localRetryThreshold: '10 seconds', retry: IO_RETRY };

/**
 * An agent's run_command: heartbeats, so a killed worker is noticed in seconds. A retry finds the
 * sandbox's `started` marker without `finished` and reports the command as interrupted instead
 * of running it again. Callers stretch startToClose by the command timeout.
 */
export const AGENT_COMMAND_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '6 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
};
