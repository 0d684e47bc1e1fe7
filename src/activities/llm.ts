import type { LlmRoutesView } from '../contracts/llm';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';

export function llmActivities(deps: ActivityDeps) {
  return {
    /** This worker's routing table: which provider and model serve each role, and which breakers are open. No keys. */
    async llmRoutes(): Promise<LlmRoutesView> {
      return guarded(async () => deps.llm.describeRoutes?.() ?? { routes: [], open: [], cache: 'off' });
    },
  };
}
