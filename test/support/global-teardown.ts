import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { removeWorkflowBundle } from './workflow-bundle';

export default async function globalTeardown(): Promise<void> {
  const env = (globalThis as Record<string, unknown>).__AIML_TEST_ENV__ as TestWorkflowEnvironment | undefined;
  await env?.teardown();
  removeWorkflowBundle();
}
