import type { ActivityDeps } from './deps';
import { buildActivities } from './build';
import { designActivities } from './design';
import { kbActivities } from './kb';
import { llmActivities } from './llm';
import { outputActivities } from './outputs';
import { revertActivities } from './revert';

export type { ActivityDeps } from './deps';

/** All activities, bound to their dependencies. Workflows type their proxies with this. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...designActivities(deps),
    ...buildActivities(deps),
    ...kbActivities(deps),
    ...outputActivities(),
    ...revertActivities(deps),
    ...llmActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
