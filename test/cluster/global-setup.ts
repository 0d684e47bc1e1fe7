import { startCluster } from '../../scripts/cluster/cluster';
import { ensureTemporalBinary } from '../../src/temporal/install';
import { writeWorkflowBundle } from '../support/workflow-bundle';

/**
 * `npm run test:cluster`: a real Temporal cluster (the server built from its Go module, PostgreSQL
 * from Debian's packages) for the whole run, in place of the dev server. Tests reach it through
 * the same AIML_TEST_TEMPORAL_ADDRESS as the main suite, so its tests run here unchanged.
 */
export default async function globalSetup(): Promise<void> {
  const log = (line: string): boolean => process.stderr.write(`${line}\n`);
  const cluster = await startCluster({ namespaces: ['default', 'aiml-isolated'], log });
  (globalThis as Record<string, unknown>).__AIML_CLUSTER__ = cluster;
  process.env.AIML_TEST_TEMPORAL_ADDRESS = cluster.address;
  process.env.AIML_TEST_CLUSTER = `${cluster.serverVersion} postgresql`;
  // The CLI binary still serves `temporal workflow show` for the tests that read raw histories.
  process.env.AIML_TEST_TEMPORAL_BIN = ensureTemporalBinary(process.env, log);
  await writeWorkflowBundle();
}
