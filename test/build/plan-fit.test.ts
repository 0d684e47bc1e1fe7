import { MockActivityEnvironment } from '@temporalio/testing';
import { agentTurnActivities } from '../../src/activities/agent-turn';
import { buildActivities } from '../../src/activities/build';
import { buildStepActivities } from '../../src/activities/build-step';
import type { ActivityDeps } from '../../src/activities/deps';
import { pathsWithin, promptRoomChars } from '../../src/activities/prompt-room';
import { loadLlmConfig } from '../../src/config';
import { LlmGateway } from '../../src/llm/gateway';
import { BlobStore } from '../../src/storage/blob-store';
import { tmpDir } from '../support/env';
import { writeTree } from '../support/files';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { planReply, stepReply, write } from './fixtures';

/** The BUILD prompts (plan, the agent's first turn) on inputs bigger than the model's window. The plan prompt on a repository bigger than the plan model's window (found with the offline model on this repository: 12,000 tokens against 8,192). */
let llm: ScriptedLlm;
beforeAll(async () => {
  llm = await startScriptedLlm();
});
afterAll(async () => {
  await llm?.close();
});

const words = (n: number, seed: string): string => Array.from({ length: n }, (_, i) => `${seed}${i % 97}`).join(' ');

async function planWith(window: string | undefined): Promise<string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`src/module-${String(i).padStart(3, '0')}/handler-with-a-long-name.ts`] = `// greeting handler ${i}\n${words(40, 'x')}\n`;
  for (let i = 0; i < 8; i++) files[`src/greet/greeting-${i}.ts`] = `// greeting shout upper case\n${words(600, 'greet')}\n`;
  const root = writeTree(tmpDir('aiml-plan-fit-'), files);
  const stateDir = tmpDir('aiml-plan-state-');
  const config = loadLlmConfig({ OPENAI_BASE_URL: llm.url, AIML_MODEL: 'scripted', ...(window ? { AIML_CONTEXT_TOKENS: window } : {}) });
  const deps = { llm: new LlmGateway(config), blobs: new BlobStore(`${stateDir}/blobs`), stateDir } as unknown as ActivityDeps;
  const spec = `# Spec: shout\n\nAdd shout(name): the greeting in upper case.\n${words(1500, 'spec')}\n`;
  llm.enqueue(planReply([{ title: 'Add shout', files: [{ path: 'src/greet/shout.ts', action: 'create' }] }]));
  const before = llm.requests.length;
  await new MockActivityEnvironment().run(buildActivities(deps).planBuild, { workspace: root, specRef: deps.blobs.put(spec), maxSteps: 5 });
  return llm.requests[before]!.messages.map((m) => m.content ?? '').join('\n');
}

test('a small plan window shares its room among the spec, the file list and the excerpts; a large one sends them whole', async () => {
  const whole = await planWith(undefined);
  expect(whole).not.toContain('more files, not listed');
  expect(whole).not.toContain('characters cut');
  // 8,192 tokens, 2,048 of them for the plan: about 18,000 characters for the whole prompt.
  const small = await planWith('8192');
  expect(small.length).toBeLessThanOrEqual((8192 - 2048) * 3);
  expect(small).toMatch(/characters cut/); // the spec, head and tail kept
  expect(small).toMatch(/… and \d+ more files, not listed/);
  expect(small).toContain('# Repository files (308)'); // the count is the repository's, not the list's
  expect(small).toMatch(/### src\/greet\/greeting-\d\.ts/); // excerpts still there, cut to fit
  expect(small.length).toBeLessThan(whole.length / 2);
});

test("the agent's first turn keeps a long spec to half its window (the brief stays whole in every turn); a large window keeps 30,000 characters", async () => {
  const firstTurn = async (window: string | undefined): Promise<string> => {
    const stateDir = tmpDir('aiml-agent-fit-');
    const config = loadLlmConfig({ OPENAI_BASE_URL: llm.url, AIML_MODEL: 'scripted', ...(window ? { AIML_CONTEXT_TOKENS: window } : {}) });
    const deps = { llm: new LlmGateway(config), blobs: new BlobStore(`${stateDir}/blobs`), stateDir } as unknown as ActivityDeps;
    const plan = { title: 'Shout', summary: 'Adds shout() beside greet().', codeStructure: 'src/greet/shout.ts', steps: [{ title: 'Add shout', description: 'Add shout and a test.', files: [{ path: 'src/greet/shout.ts', action: 'create', purpose: 'shout()' }] }] };
    llm.enqueue({ content: '', toolCalls: [{ name: 'finish_step', arguments: { summary: 'done' } }] });
    const before = llm.requests.length;
    await new MockActivityEnvironment().run(agentTurnActivities(deps).agentTurn, {
      start: { specRef: deps.blobs.put(`# Spec\n${words(6000, 'spec')}`), planRef: deps.blobs.put(JSON.stringify(plan)), step: 1, checkCommand: null, policy: 'edits: none' },
      step: 1,
      turn: 1,
      results: [],
      notes: [],
      allowCommands: [],
    });
    return llm.requests[before]!.messages.map((m) => m.content ?? '').join('\n');
  };
  const whole = await firstTurn(undefined);
  expect(whole).toContain('… [spec truncated'); // 36,000 characters: over the 30,000 kept in any window
  const small = await firstTurn('8192');
  expect(small).toContain('[spec truncated to fit the context window]');
  expect(small.length).toBeLessThan(8192 * 3 * 0.8); // the prompt fits beside the answer's share
  expect(small.length).toBeLessThan(whole.length / 2);
});

test('a one-shot step prompt shares a small window among the spec, the check output and the files; a planned file too big for it shows its start', async () => {
  const stepPrompt = async (window: string | undefined): Promise<string> => {
    const bigFile = Array.from({ length: 600 }, (_, i) => `export const line${i} = 'greeting number ${i}';`).join('\n') + '\n';
    const root = writeTree(tmpDir('aiml-step-fit-'), { 'src/greet.ts': bigFile, 'README.md': '# greet\n' });
    const stateDir = tmpDir('aiml-step-state-');
    // A served model's answer budget is reserved whole: 4,096 of the 8,192 tokens here.
    const config = loadLlmConfig({ OPENAI_BASE_URL: llm.url, AIML_MODEL: 'scripted', ...(window ? { AIML_CONTEXT_TOKENS: window, AIML_MAX_TOKENS: 'step=4096' } : {}) });
    const deps = { llm: new LlmGateway(config), blobs: new BlobStore(`${stateDir}/blobs`), stateDir } as unknown as ActivityDeps;
    const plan = { title: 'Shout', summary: 'Adds shout().', codeStructure: 'src/greet.ts', steps: [{ title: 'Add shout', description: 'Add shout to greet.', files: [{ path: 'src/greet.ts', action: 'modify', purpose: 'shout()' }] }] };
    llm.enqueue(stepReply([write('src/shout.ts', 'export const shout = (s: string) => s.toUpperCase();\n')]));
    const before = llm.requests.length;
    await new MockActivityEnvironment().run(buildStepActivities(deps).generateStep, {
      workspace: root,
      specRef: deps.blobs.put(`# Spec\n${words(6000, 'spec')}`),
      planRef: deps.blobs.put(JSON.stringify(plan)),
      step: 1,
      attempt: 2,
      checkCommand: 'npm test',
      expected: {},
      checkOutputRef: deps.blobs.put(`FAIL\n${words(8000, 'out')}`),
    });
    return llm.requests[before]!.messages.map((m) => m.content ?? '').join('\n');
  };
  const whole = await stepPrompt(undefined);
  expect(whole).toContain("export const line599 = 'greeting number 599';"); // the planned file in full
  expect(whole).not.toContain('the rest is cut to fit');
  // 8,192 tokens, 4,096 of them for the answer: about 12,000 characters of prompt.
  const small = await stepPrompt('8192');
  expect(small.length).toBeLessThanOrEqual(4096 * 3);
  expect(small).toMatch(/### src\/greet\.ts \(first \d+ of \d+ characters; the rest is cut to fit/);
  expect(small).toContain("export const line0 = 'greeting number 0';");
  expect(small).not.toContain('line599');
  expect(small).toContain('<check-output>\nFAIL'); // the check output keeps its head and tail
  expect(small).toMatch(/<check-output>[\s\S]*characters cut[\s\S]*<\/check-output>/);
});

test("the answer's share of the window: a served model's budget whole, the local model's at most half (it fits its answer to what is left)", () => {
  const deps = (capsAnswer: boolean, maxTokens: number) =>
    ({ llm: { model: 'm', maxTokensFor: () => maxTokens, contextTokensFor: () => 8192, capsAnswerFor: () => capsAnswer } }) as unknown as ActivityDeps;
  const fixed = [{ role: 'user' as const, content: 'x'.repeat(1000) }];
  expect(promptRoomChars(deps(false, 8192), 'step', undefined, fixed)).toBe(0);
  expect(promptRoomChars(deps(true, 8192), 'step', undefined, fixed)).toBe(4096 * 3 - 1000 - 1500);
  expect(promptRoomChars(deps(true, 2048), 'plan', undefined, fixed)).toBe(promptRoomChars(deps(false, 2048), 'plan', undefined, fixed)); // under half: the same
  expect(promptRoomChars(deps(false, 2048), 'plan', undefined, fixed)).toBe((8192 - 2048) * 3 - 1000 - 1500);
});

test('pathsWithin keeps the paths that fit and says how many it left out', () => {
  expect(pathsWithin(['a', 'bb', 'ccc'], 100)).toEqual(['a', 'bb', 'ccc']);
  expect(pathsWithin(['a', 'bb', 'ccc'], 5)).toEqual(['a', 'bb', '… and 1 more files, not listed (room)']);
  expect(pathsWithin(['a'], 0)).toEqual(['… and 1 more files, not listed (room)']);
});
