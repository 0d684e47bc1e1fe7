import { revertBuild } from '../builder/revert';
import type { RevertInput, RevertOutput } from '../contracts/revert';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';

/** Undoing a build on the host whose journal and workspace it touched (the `revert` workflow's one activity). */
export function revertActivities(deps: ActivityDeps) {
  return {
    async revertBuildSteps(input: RevertInput): Promise<RevertOutput> {
      return guarded(async () => revertBuild(deps.stateDir, deps.blobs, input.workflowId, { step: input.step, force: input.force }));
    },
  };
}
