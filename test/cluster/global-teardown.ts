import type { Cluster } from '../../scripts/cluster/cluster';
import { removeWorkflowBundle } from '../support/workflow-bundle';

export default async function globalTeardown(): Promise<void> {
  await ((globalThis as Record<string, unknown>).__AIML_CLUSTER__ as Cluster | undefined)?.stop();
  removeWorkflowBundle();
}
