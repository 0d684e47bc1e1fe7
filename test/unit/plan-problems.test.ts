import { planProblems, type BuildPlan } from '../../src/builder/schemas';

const step = (title: string, paths: string[]): BuildPlan['steps'][number] => ({ title, description: 'Adds it and checks it with the tests.', files: paths.map((path) => ({ path, action: 'create' as const, purpose: 'the code' })) });
const plan = (steps: BuildPlan['steps']): BuildPlan => ({ title: 'Plan', summary: 'What the plan does, in short.', steps }) as BuildPlan;

test('a plan: too many steps, and paths outside the workspace, each said once', () => {
  expect(planProblems(plan([step('one', ['src/a.ts', 'test/a.test.ts'])]), 3)).toEqual([]);
  expect(planProblems(plan([step('one', ['/etc/passwd', '/etc/passwd', 'src/../../x']), step('two', ['/etc/passwd'])]), 1)).toEqual([
    'the plan has 2 steps; at most 1 are allowed: merge steps',
    'step 1: path "/etc/passwd" must be relative to the workspace, without ".."',
    'step 1: path "src/../../x" must be relative to the workspace, without ".."',
    'step 2: path "/etc/passwd" must be relative to the workspace, without ".."',
  ]);
});
