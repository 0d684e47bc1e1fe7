import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DecisionKind, GateDecision, RunState } from './run';

/**
 * Decision payloads. A person can send these from the Temporal UI or CLI, e.g.
 *   temporal workflow signal --workflow-id <id> --name approve --input '{"by":"ana","comment":"ok"}'
 *   temporal workflow signal --workflow-id <id> --name reject  --input '{"by":"ana","feedback":"use pgvector"}'
 * `gate` may be omitted: it then means the gate that is pending now.
 */
export interface ApprovePayload {
  gate?: string;
  by?: string;
  comment?: string;
  /** At a BUILD command gate: also allow this command's pattern for the rest of the run. */
  remember?: 'pattern';
  /** At the `budget` gate: dollars added to the run's limit. */
  topUpUsd?: number;
  /** At the `budget` gate: tokens added to the run's limit. */
  topUpTokens?: number;
}

export interface RejectPayload {
  gate?: string;
  by?: string;
  /** Required unless `stop` (checked by `checkDecision`): what should change. The next draft is made with it. */
  feedback?: string;
  comment?: string;
  /** At a BUILD step's tool or budget gate: end the step instead of going on. */
  stop?: boolean;
}

export interface DecideInput {
  decision: DecisionKind;
  gate?: string;
  by?: string;
  comment?: string;
  feedback?: string;
  /** Approve only: remember the command pattern (BUILD command gates). */
  remember?: 'pattern';
  /** Reject only: stop the BUILD step (tool and budget gates); feedback is then optional. */
  stop?: boolean;
  /** Approve only, at the `budget` gate: dollars added to the run's limit. */
  topUpUsd?: number;
  /** Approve only, at the `budget` gate: tokens added to the run's limit. */
  topUpTokens?: number;
}

export const approveSignal = defineSignal<[ApprovePayload]>('approve');
export const rejectSignal = defineSignal<[RejectPayload]>('reject');
/** Same decisions as the signals, but validated synchronously: the caller learns at once if it was refused. */
export const decideUpdate = defineUpdate<GateDecision, [DecideInput]>('decide');
export const stateQuery = defineQuery<RunState>('state');
