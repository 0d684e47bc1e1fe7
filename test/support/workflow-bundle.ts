import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../../src/observability/tracing';
import { stateDir } from '../../src/paths';

/**
 * Bundles the workflow code once per jest run and points AIML_TEST_WORKFLOW_BUNDLE at the file,
 * so every test worker reuses it (both the dev-server and the cluster suites' global setups).
 */
export async function writeWorkflowBundle(): Promise<string> {
  const dir = path.join(stateDir(), 'test');
  fs.mkdirSync(dir, { recursive: true });
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES, logger: quietLogger });
  const codePath = path.join(dir, `workflow-bundle-${process.pid}.js`);
  fs.writeFileSync(codePath, code);
  process.env.AIML_TEST_WORKFLOW_BUNDLE = codePath;
  return codePath;
}

export function removeWorkflowBundle(): void {
  if (process.env.AIML_TEST_WORKFLOW_BUNDLE) fs.rmSync(process.env.AIML_TEST_WORKFLOW_BUNDLE, { force: true });
}

const noop = (): void => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => process.stderr.write(`${m}\n`), log: noop };
