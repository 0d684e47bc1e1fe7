import fs from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/program';
import { LlmGateway } from '../../src/llm/gateway';
import { detectPhase, phaseByRules } from '../../src/phase/detect';
import { temporalAddress, testClient, tmpDir, uniqueId } from '../support/env';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';

test.each([
  ['Design a RAG architecture for our support tickets: which vector database and embedding model?', 'design'],
  ['What are the trade-offs between fine-tuning and retrieval for this? Propose an approach.', 'design'],
  ['/design a fraud scoring service', 'design'],
  ['Implement the embedding cache from SPECS.md in src/rag/cache.ts', 'build'],
  ['Integrate the reranker with our existing codebase and add unit tests', 'build'],
  ['/build', 'build'],
])('the rules place %p as %s, with reasons', (request, phase) => {
  const out = phaseByRules(request);
  expect(out.phase).toBe(phase);
  expect(out.reasons.length).toBeGreaterThan(0);
});

test('close or empty calls are left to the model, with what was found', () => {
  expect(phaseByRules('Make our chatbot better')).toEqual({ reasons: [], score: { design: 0, build: 0 } });
  const split = phaseByRules('Design and implement a cache');
  expect(split.phase).toBeUndefined();
  expect(split.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^DESIGN: opens with a design verb/), expect.stringMatching(/^BUILD: asks to implement/)]));
});

describe('with a model', () => {
  let llm: ScriptedLlm;
  beforeAll(async () => {
    llm = await startScriptedLlm();
  });
  afterAll(() => llm.close());
  const gateway = (): LlmGateway => new LlmGateway({ baseURL: llm.url, apiKey: 'sk-test-not-a-secret', model: 'scripted-model', timeoutMs: 10_000, stream: false });

  test('the rules decide without a call; an undecided request asks for a structured answer; --phase overrides', async () => {
    const before = llm.requests.length;
    expect(await detectPhase('Implement SPECS.md', { llm: gateway() })).toMatchObject({ phase: 'build', by: 'rules' });
    expect(llm.requests.length).toBe(before);
    llm.enqueue({ content: JSON.stringify({ phase: 'design', reason: 'asks how to improve the system, not for code' }) });
    const asked = await detectPhase('Make our chatbot better', { llm: gateway() });
    expect(asked).toEqual({ phase: 'design', by: 'llm', reasons: ['asks how to improve the system, not for code', 'no rule matched'] });
    const sent = llm.requests[llm.requests.length - 1]!;
    expect(sent.response_format?.json_schema?.name).toBe('phase');
    expect(sent.messages[1]!.content).toContain('<<<\nMake our chatbot better\n>>>');
    expect(await detectPhase('Make our chatbot better', { override: 'build' })).toEqual({ phase: 'build', by: 'override', reasons: ['--phase build was given'] });
    await expect(detectPhase('Make our chatbot better')).rejects.toMatchObject({ code: 'PHASE_UNDECIDED', message: expect.stringMatching(/give --phase design or --phase build/) });
  });

  test('aiml ask --dry-run says which phase and why; without a model an undecided request is a clear error', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    const env = { PATH: process.env.PATH, OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'sk-test-not-a-secret' };
    expect(await main(['ask', '--dry-run', 'Design the retrieval architecture: which vector store?'], env, io)).toBe(0);
    expect(out.pop()).toMatch(/^DESIGN request, by the phase indicators: opens with a design verb \("Design"\); asks about architecture/);
    llm.enqueue({ content: JSON.stringify({ phase: 'build', reason: 'asks for a change to the code' }) });
    expect(await main(['ask', '--dry-run', '--json', 'Make the chatbot answer faster'], env, io)).toBe(0);
    expect(JSON.parse(out.pop()!)).toEqual({ phase: 'build', by: 'llm', reasons: ['asks for a change to the code', 'no rule matched'] });
    expect(await main(['ask', '--dry-run', 'Make the chatbot answer faster'], { PATH: process.env.PATH }, io)).toBe(1);
    expect(err.pop()).toMatch(/^aiml: Cannot tell whether this is a DESIGN or a BUILD request .*no LLM is configured/);
    expect(await main(['ask', '--dry-run', '--phase', 'ship', 'x'], env, io)).not.toBe(0);
    expect(err.pop()).toBe('aiml: --phase must be design or build, got "ship"');
  });
});

test('aiml ask starts what it decided: a design run with the request as brief, a build run from the workspace SPECS.md', async () => {
  const ws = tmpDir('aiml-ask-');
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
  const env = { PATH: process.env.PATH, TEMPORAL_ADDRESS: temporalAddress(), AIML_TASK_QUEUE: uniqueId('no-worker'), AIML_HOME: tmpDir('aiml-home-') };
  const { client, close } = await testClient();
  try {
    const designId = uniqueId('ask-design');
    expect(await main(['ask', 'Design a retrieval architecture for the docs', '--workspace', ws, '--id', designId], env, io)).toBe(0);
    // No worker polls this test's queue: the run waits, and the CLI says so and what to do.
    expect(err.pop()).toMatch(/^aiml: no worker for host "[^"]+" is polling task queue "no-worker-[^"]+-host-[^"]+" yet: the run waits until one does\. .*set AIML_HOST_ID/);
    expect(err.pop()).toMatch(/^DESIGN request, by the phase indicators/);
    expect(out.pop()).toBe(designId);
    const design = await client.workflow.getHandle(designId).describe();
    expect(design.type).toBe('design');
    expect((await client.workflow.getHandle(designId).fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!.toString()).toContain('Design a retrieval architecture for the docs');
    await client.workflow.getHandle(designId).terminate('test');

    const buildId = uniqueId('ask-build');
    expect(await main(['ask', 'Implement the spec', '--workspace', ws, '--id', buildId], env, io)).toBe(2);
    expect(err.pop()).toMatch(/no spec to build from: no completed design run for .* and no SPECS\.md there/);
    fs.writeFileSync(path.join(ws, 'SPECS.md'), '# Spec\n');
    expect(await main(['ask', 'Implement the spec', '--workspace', ws, '--id', buildId], env, io)).toBe(0);
    expect(err.slice(-3)).toEqual([expect.stringMatching(/^BUILD request/), `Building from ${path.join(ws, 'SPECS.md')} (the workspace SPECS.md).`, expect.stringMatching(/^aiml: no worker for host/)]);
    expect((await client.workflow.getHandle(buildId).describe()).type).toBe('build');
    await client.workflow.getHandle(buildId).terminate('test');
    // A spec that is not there is said at once, and no run starts (aiml build --spec goes through the same check).
    const missingId = uniqueId('ask-missing');
    for (const cmd of [['ask', 'Implement the spec', '--workspace', ws], ['build', '--workspace', ws]]) {
      expect(await main([...cmd, '--spec', path.join(ws, 'NOPE.md'), '--id', missingId], env, io)).toBe(2);
      expect(err.pop()).toMatch(/--spec .*NOPE\.md does not exist/);
    }
    await expect(client.workflow.getHandle(missingId).describe()).rejects.toThrow(/not found/i);
  } finally {
    await close();
  }
});
