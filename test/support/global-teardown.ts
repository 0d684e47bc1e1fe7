import fs from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

export default async function globalTeardown(): Promise<void> {
  const env = (globalThis as Record<string, unknown>).__AIML_TEST_ENV__ as TestWorkflowEnvironment | undefined;
  await env?.teardown();
  if (process.env.AIML_TEST_WORKFLOW_BUNDLE) fs.rmSync(process.env.AIML_TEST_WORKFLOW_BUNDLE, { force: true });
}
