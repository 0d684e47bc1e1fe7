import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes';
import { ensureLocalModel, LOCAL_MODEL } from '../../src/rag/embed/model-install';
import { ensureStaticTable } from '../../src/rag/embed/static-model';
import { ensureTemporalBinary } from '../../src/temporal/install';
import { writeWorkflowBundle } from './workflow-bundle';

/**
 * One real Temporal dev server (the official CLI binary, installed by the project) for the whole
 * jest run, and one workflow bundle that every test worker reuses.
 */
export default async function globalSetup(): Promise<void> {
  const bin = ensureTemporalBinary(process.env, (line) => process.stderr.write(`${line}\n`));
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: bin },
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      // A second namespace for tests whose runs others must not list (encrypted payloads).
      extraArgs: ['--log-level', 'error', '--namespace', 'aiml-isolated'],
    },
  });
  await writeWorkflowBundle();
  // The local embedding models, as `npm run setup` readies them: tests that expect a worker's first
  // search to rank by meaning find them installed (a worker readies them in the background otherwise).
  const log = (line: string) => process.stderr.write(`${line}\n`);
  await ensureStaticTable(process.env, log, ensureLocalModel(process.env, log, LOCAL_MODEL));
  (globalThis as Record<string, unknown>).__AIML_TEST_ENV__ = env;
  process.env.AIML_TEST_TEMPORAL_ADDRESS = env.connection.options.address;
  process.env.AIML_TEST_TEMPORAL_BIN = bin;
}
