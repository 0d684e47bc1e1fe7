/** `revert`: undo a build run's applied steps on the host that holds its workspace and journal. */
export interface RevertInput {
  /** The build run whose journal is undone. */
  workflowId: string;
  /** Undo this step and every later one (default: all). */
  step?: number;
  /** Overwrite files changed since the build wrote them. */
  force?: boolean;
}

export interface RevertOutput {
  steps: number[];
  restored: string[];
  alreadyRestored: string[];
  reverted: string[];
}

export const REVERT_WORKFLOW = 'revert';
export const revertWorkflowId = (buildId: string, suffix: string): string => `${buildId}-revert-${suffix}`;
