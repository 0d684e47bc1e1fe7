import fs from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../src/observability/tracing';
import { stateDir } from '../../src/paths';
import { ensureTemporalBinary } from '../../src/temporal/install';

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
  const dir = path.join(stateDir(), 'test');
  fs.mkdirSync(dir, { recursive: true });
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES, logger: quietLogger });
  const codePath = path.join(dir, `workflow-bundle-${process.pid}.js`);
  fs.writeFileSync(codePath, code);
  (globalThis as Record<string, unknown>).__AIML_TEST_ENV__ = env;
  process.env.AIML_TEST_TEMPORAL_ADDRESS = env.connection.options.address;
  process.env.AIML_TEST_WORKFLOW_BUNDLE = codePath;
  process.env.AIML_TEST_TEMPORAL_BIN = bin;
}

const noop = (): void => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => process.stderr.write(`${m}\n`), log: noop };
