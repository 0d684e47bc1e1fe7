import { checkOutputTarget, type OutputTarget } from '../workspace/output-file';
import { guarded } from './failures';

export interface CheckOutputInput {
  workspace: string;
  /** The file, relative to the workspace (SPECS.md, BUILD_REPORT.md). */
  file: string;
  force?: boolean;
}

/** Checks aiml's own output files before a run asks anyone to approve anything. */
export function outputActivities() {
  return {
    /** Refuses (non-retryably) a target that is a link, outside the workspace, a secret store, or a file the user changed. */
    async checkOutputTarget(input: CheckOutputInput): Promise<OutputTarget> {
      return guarded(async () => checkOutputTarget(input.workspace, input.file, input.force));
    },
  };
}
