import * as wf from '@temporalio/workflow';

/**
 * Workflow-side metrics, through the SDK's workflow meter: nothing is emitted while a history
 * replays, so each event counts once. They reach the worker's Prometheus endpoint beside the
 * activity-side ones (src/observability/metrics.ts). Runs waiting at gates =
 * `aiml_gates_opened - aiml_gates_decided`.
 */

/** `build/step-3/command` → `build/step-N/command`: one series per kind of gate, not per step. */
const gateKind = (gate: string): string => gate.replace(/\d+/g, 'N');

export function gateOpened(phase: string, gate: string): void {
  wf.metricMeter.createCounter('aiml_gates_opened', 'gates', 'Gates that started waiting for a decision').add(1, { phase, gate: gateKind(gate) });
}

export function gateDecided(phase: string, gate: string, decision: string, waitedMs: number): void {
  const tags = { phase, gate: gateKind(gate), decision };
  wf.metricMeter.createCounter('aiml_gates_decided', 'gates', 'Gates decided (approve, reject, timeout)').add(1, tags);
  wf.metricMeter.createHistogram('aiml_gate_wait', 'int', 'ms', 'Time a gate waited for its decision').record(Math.max(0, Math.round(waitedMs)), tags);
}

export function fixAttempt(mode: 'agent' | 'oneshot'): void {
  wf.metricMeter.createCounter('aiml_fix_attempts', 'attempts', 'BUILD steps sent back to the model after a failing check').add(1, { mode });
}
