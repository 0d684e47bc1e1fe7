import { MockActivityEnvironment } from '@temporalio/testing';
import { designActivities } from '../../src/activities/design';
import type { ActivityDeps } from '../../src/activities/deps';
import { loadLlmConfig } from '../../src/config';
import { fitContext, gatherWorkspaceContext, renderContext } from '../../src/design/context';
import { LlmGateway } from '../../src/llm/gateway';
import { BlobStore } from '../../src/storage/blob-store';
import { draftReply } from '../support/fixtures';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { tmpDir } from '../support/env';
import { writeTree } from '../support/files';

const lorem = (n: number): string => Array.from({ length: n }, (_, i) => `word${i % 97} filler text about nothing in particular`).join('\n');

test('design context ranks the code a brief is about above the tests and fixtures that mention it more, and leaves out weak matches', () => {
  const root = writeTree(tmpDir('aiml-ctx-rank-'), {
    'README.md': '# shop\nAn online shop.\n',
    'package.json': '{"name":"shop"}\n',
    'src/http/retry-backoff.ts': `export function retryWithBackoff(call: () => Promise<void>) {}\n${lorem(20)}\n`,
    'test/http/retry-backoff.test.ts': 'retry backoff retry backoff: the retry waits with backoff; retry again, backoff doubles\n',
    'test/histories/retry.json': '{"events":["retry","backoff","retry","backoff","retry"]}\n',
    'src/cart/totals.ts': `export const currency = 'EUR'; // used by the client\n${lorem(30)}\n`,
  });
  const found = gatherWorkspaceContext(root, 'Add a retry with exponential backoff to the HTTP client');
  const paths = found.map((f) => f.path);
  // The project's README and manifest first, then the source file, then its tests.
  expect(paths.slice(0, 3)).toEqual(['README.md', 'package.json', 'src/http/retry-backoff.ts']);
  expect(paths.indexOf('src/http/retry-backoff.ts')).toBeLessThan(paths.indexOf('test/http/retry-backoff.test.ts'));
  // A file that shares one weak word ("client") with the brief is far below the best: left out.
  expect(paths).not.toContain('src/cart/totals.ts');
});

test('a brief made only of words every project shares picks no files beyond the README and manifest', () => {
  const root = writeTree(tmpDir('aiml-ctx-stop-'), {
    'README.md': '# x\n',
    'src/system/design.ts': 'export function buildSystemDesign() { /* design the system */ }\n',
  });
  expect(gatherWorkspaceContext(root, 'Design and build a new system').map((f) => f.path)).toEqual(['README.md']);
});

test('a brief about another system is shown no file for the one word it shares with the workspace; a brief about the workspace is', () => {
  const root = writeTree(tmpDir('aiml-ctx-cover-'), {
    'README.md': '# editor\n',
    'src/undo/history.ts': `export class UndoHistory {\n  // the undo history: every edit, so an undo can replay the history backwards\n}\n${lorem(5)}\n`,
    'src/cart/totals.ts': `export const currency = 'EUR';\n${lorem(5)}\n`,
    'src/http/retry.ts': `// send the request again when it fails\nexport function retry(request: () => Promise<void>) {}\n${lorem(5)}\n`,
  });
  // "history" is the only word it shares, and it weighs little beside the six the workspace lacks.
  expect(gatherWorkspaceContext(root, 'Forecast demand for each warehouse a week ahead from sales history').map((f) => f.path)).toEqual(['README.md']);
  expect(gatherWorkspaceContext(root, 'Keep the undo history of each edit for a week').map((f) => f.path)).toEqual(['README.md', 'src/undo/history.ts']);
  // A spec's part likewise: the part that shares only "history" brings nothing, the other its file.
  expect(gatherWorkspaceContext(root, ['Forecast demand for each warehouse from sales history', 'Retry the request when it fails']).map((f) => f.path)).toEqual(['README.md', 'src/http/retry.ts']);
});

test("by words too, a spec part that matches loosely (its overview) gives its best file in its turn; its weaker ones wait for the sections' files", () => {
  const root = writeTree(tmpDir('aiml-ctx-turns-words-'), {
    'src/upload/intake.ts': '// files that customers upload become records\nexport function intake() {}\n',
    'src/jobs/queue.ts': '// the job queue hands records on\nexport function enqueue() {}\n',
    'src/yaml/load.ts': '// parse a yaml document and load it into objects\nexport function loadYaml() {}\n',
    'src/yaml/scan.ts': '// scan a yaml document into tokens for the parser\nexport function scanYaml() {}\n',
    'src/id/v7.ts': '// a time-ordered uuid from the clock and random bytes\nexport function uuidV7() {}\n',
    'src/id/rng.ts': '// random bytes for a uuid\nexport function rng() {}\n',
  });
  const parts = [
    'Overview: customers upload files; the service turns them into records and hands them to the job queue.',
    'Parse a YAML document and load it, scanning its tokens first.',
    'Give each record a time-ordered UUID made from the clock and random bytes.',
  ];
  const order = gatherWorkspaceContext(root, parts, { maxFiles: 20 }).map((f) => f.path);
  expect(order.slice(0, 3)).toEqual(['src/jobs/queue.ts', 'src/yaml/scan.ts', 'src/id/v7.ts']); // every part's best first
  // The overview's second file holds little of what the overview says: it waits for the YAML part's second (in plain turns it came first).
  expect(order.indexOf('src/upload/intake.ts')).toBeGreaterThan(order.indexOf('src/yaml/load.ts'));
  expect(order).toHaveLength(6);
});

test('fitContext keeps every heading, cuts long files to an even share with a marker and closed fences, and leaves short ones whole', () => {
  const text = renderContext({
    files: [
      { path: 'a.ts', score: 1, excerpt: 'A'.repeat(5000) },
      { path: 'short.md', score: 1, excerpt: 'brief note' },
      { path: 'b.ts', score: 1, excerpt: 'B'.repeat(5000) },
    ],
    kb: [{ path: 'docs/kb.md', startLine: 3, endLine: 9, score: 1, text: 'K'.repeat(3000) }],
  });
  expect(fitContext(text, text.length)).toBe(text);
  const cut = fitContext(text, 4000);
  expect(cut.length).toBeLessThanOrEqual(4000);
  for (const heading of ['## Workspace files', '### a.ts', '### short.md', '### b.ts', '## Knowledge base', '### docs/kb.md:3-9']) expect(cut).toContain(heading);
  expect(cut).toContain('### short.md\n```\nbrief note\n```');
  expect(cut.match(/cut to fit the model’s context window/g)).toHaveLength(3);
  expect((cut.match(/```/g) ?? []).length % 2).toBe(0);
  // The long files share the room evenly.
  const as = (cut.match(/A/g) ?? []).length;
  const bs = (cut.match(/B/g) ?? []).length;
  expect(Math.abs(as - bs)).toBeLessThanOrEqual(2);
  expect(as).toBeGreaterThan(500);
});

describe('the draft prompt fits the design model window', () => {
  let llm: ScriptedLlm;
  beforeAll(async () => {
    llm = await startScriptedLlm();
  });
  afterAll(async () => {
    await llm?.close();
  });

  async function draftWith(window: string | undefined): Promise<string> {
    const root = writeTree(
      tmpDir('aiml-ctx-fit-'),
      Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`src/support/answers-${i}.ts`, `// support assistant answers from product docs\n${lorem(80)}\n`])),
    );
    const stateDir = tmpDir('aiml-ctx-state-');
    const config = loadLlmConfig({ OPENAI_BASE_URL: llm.url, AIML_MODEL: 'scripted', ...(window ? { AIML_CONTEXT_TOKENS: window } : {}) });
    const deps = { llm: new LlmGateway(config), blobs: new BlobStore(`${stateDir}/blobs`), stateDir } as unknown as ActivityDeps;
    llm.enqueue(draftReply('fit'));
    const before = llm.requests.length;
    await new MockActivityEnvironment().run(designActivities(deps).draftArchitecture, {
      brief: 'A support assistant that answers from our product docs',
      round: 1,
      gather: { workspace: root },
    });
    return llm.requests[before]!.messages.map((m) => m.content ?? '').join('\n');
  }

  test('a small window cuts the gathered context to fit beside the answer; a large one sends it whole', async () => {
    const whole = await draftWith(undefined);
    expect(whole).not.toContain('cut to fit');
    expect(whole).toContain('### src/support/answers-7.ts');
    // 6,000 tokens, 4,096 of them for the answer: about 5,700 characters for the whole prompt.
    const small = await draftWith('6000');
    expect(small).toContain('cut to fit the model’s context window');
    expect(small).toContain('### src/support/answers-7.ts'); // every file still named
    expect(small.length).toBeLessThanOrEqual((6000 - 4096) * 3);
    expect(small.length).toBeLessThan(whole.length / 2);
  });
});
