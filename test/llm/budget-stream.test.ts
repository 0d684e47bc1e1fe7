import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import path from 'node:path';
import { AimlClient } from '../../src/client/aiml-client';
import { BUDGET_GATE, DESIGN_GATE, rejectSignal, SA_COST_USD, SA_TOTAL_TOKENS, stateQuery, type BuildResult, type DesignResult, type ShipResult } from '../../src/contracts';
import { costUsd } from '../../src/llm/prices';
import { main } from '../../src/cli/program';
import { createContext } from '../../src/cli/context';
import { askAtGate } from '../../src/cli/gate-prompt';
import { draftReply, sampleDraft } from '../support/fixtures';
import { temporalAddress, tmpDir, uniqueId, waitFor } from '../support/env';
import { useRig } from '../support/rig';
import { fixtureRepo, planReply } from '../build/fixtures';
import { awaitingGate } from '../build/helpers';
import { editFile, finish, readFile, startAgentBuild, turn } from '../agent/helpers';

/**
 * The run budget against the scripted server's usage: a design run parks at the `budget` gate, a
 * top-up lets it go on, a rejection there ends it cleanly; tokens and cost land in the search
 * attributes. And `aiml watch`'s stream: in order, nothing twice across a retried attempt, nothing
 * of it in history.
 */
const PRICE = { input: 1000, output: 2000 }; // dollars per 1M tokens: a draft costs about a dollar
const rig = useRig({ prices: { 'scripted-model': PRICE } });
const aiml = () => new AimlClient(rig.client, { namespace: 'default', taskQueue: rig.worker.taskQueue });

function startDesign(extra: Record<string, unknown>) {
  return rig.client.workflow.start('design', {
    taskQueue: rig.worker.taskQueue,
    workflowId: uniqueId('design-budget'),
    args: [{ brief: 'A support chatbot that answers from our product docs', workspace: tmpDir(), ...extra }],
  });
}
type Handle = Awaited<ReturnType<typeof startDesign>>;

const waitGate = (h: Handle, gate: string, round = 1) =>
  waitFor(async () => {
    const s = await h.query(stateQuery);
    const g = s.gates.at(-1);
    return s.status === 'awaiting_approval' && g?.gate === gate && g.round === round ? s : undefined;
  }, `${gate} round ${round}`);

test('a spent budget parks the run at the budget gate; a top-up goes on; cost and tokens match the scripted usage', async () => {
  const served = rig.llm.usages.length;
  rig.llm.enqueue(draftReply('b1'), draftReply('b2'));
  const h = await startDesign({ runBudget: { usd: 0.5 } });
  await waitGate(h, DESIGN_GATE);
  await h.signal(rejectSignal, { by: 'ana', feedback: 'add a cache layer' });
  const parked = await waitGate(h, BUDGET_GATE);
  expect(parked.step).toMatch(/waiting for approval of budget/);
  expect(parked.details.budget).toEqual({ limit: { usd: 0.5 }, topUps: [] });
  expect(rig.llm.requests.length - served).toBe(1); // no second draft before the decision

  // The one decision path: approving without a top-up is refused before anything is sent.
  await expect(aiml().decide(h.workflowId, { decision: 'approve', by: 'ana' })).rejects.toThrow(/approved with a top-up/);
  const view = await aiml().describe(h.workflowId);
  expect(view.pendingGate).toBe(BUDGET_GATE);
  expect(view.budget).toEqual({ usd: 0.5 });
  await aiml().decide(h.workflowId, { decision: 'approve', by: 'ana', topUpUsd: 20 });
  await waitGate(h, DESIGN_GATE, 2);
  await aiml().decide(h.workflowId, { decision: 'approve', by: 'ana' });
  const result = (await h.result()) as DesignResult;
  expect(result.specPath).toMatch(/SPECS\.md$/);
  expect(result.budget).toEqual({ usd: 20.5 });

  const usages = rig.llm.usages.slice(served);
  expect(usages).toHaveLength(2);
  const tokens = usages.reduce((n, u) => n + u.total_tokens, 0);
  const cost = usages.reduce((n, u) => n + costUsd(PRICE, u.prompt_tokens, u.completion_tokens), 0);
  expect(result.usage.totalTokens).toBe(tokens);
  expect(result.usage.costUsd).toBeCloseTo(cost, 6);
  const attrs = (await h.describe()).typedSearchAttributes;
  expect(attrs.get(SA_TOTAL_TOKENS)).toBe(tokens);
  expect(attrs.get(SA_COST_USD)).toBeCloseTo(cost, 6);
  // The visibility store answers the "most expensive" filter.
  const found = await waitFor(async () => {
    for await (const w of rig.client.workflow.list({ query: `WorkflowId = '${h.workflowId}' AND AimlCostUsd > 0.5` })) return w.workflowId;
    return undefined;
  }, 'the run listed by AimlCostUsd');
  expect(found).toBe(h.workflowId);

  if (process.env.AIML_RECORD_HISTORIES === '1') {
    const json = execFileSync(process.env.AIML_TEST_TEMPORAL_BIN!, ['workflow', 'show', '-w', h.workflowId, '--address', temporalAddress(), '-o', 'json'], { encoding: 'utf8' });
    fs.writeFileSync(path.join(__dirname, '..', 'histories', 'design-budget-topup.json'), json);
  }
});

test('rejecting at the budget gate stops the run cleanly: completed, no spec, the last draft kept', async () => {
  rig.llm.enqueue(draftReply('s1'));
  const h = await startDesign({ runBudget: { tokens: 10 } });
  await waitGate(h, DESIGN_GATE);
  await h.signal(rejectSignal, { by: 'ana', feedback: 'more detail' });
  await waitGate(h, BUDGET_GATE);
  const outcome = await aiml().decide(h.workflowId, { decision: 'reject', by: 'ana' });
  expect(outcome.outcome).toBe('applied');
  const result = (await h.result()) as DesignResult;
  expect(result).toMatchObject({ specPath: null, stopped: expect.stringMatching(/^stopped by ana at the budget gate \(\d+ tokens spent of 10\)/) });
  expect(result.draft.title).toBe(sampleDraft('s1').title);
  const view = await aiml().describe(h.workflowId);
  expect(view.status).toBe('completed');
  expect(view.step).toMatch(/stopped by ana at the budget gate/);
});

test("aiml run's prompt at the budget gate: approve asks for the top-up (a bad amount is refused and asked again), reject stops the run", async () => {
  let said = '';
  const ctx = createContext({ ...process.env, TEMPORAL_ADDRESS: temporalAddress(), AIML_TASK_QUEUE: rig.worker.taskQueue, AIML_USER: 'dee' }, { out: (t) => (said += t), err: (t) => (said += t) });
  /** Answers the prompt's questions in order, and keeps them. */
  const script = (answers: string[]) => {
    const asked: string[] = [];
    return { asked, asker: { question: async (q: string) => (asked.push(q), answers.shift() ?? 'q'), close: () => undefined } };
  };
  try {
    rig.llm.enqueue(draftReply('p1'), draftReply('p2'));
    const h = await startDesign({ runBudget: { tokens: 10 } });
    await waitGate(h, DESIGN_GATE);
    await h.signal(rejectSignal, { by: 'ana', feedback: 'more detail' });
    await waitGate(h, BUDGET_GATE);
    const approving = script(['a', 'lots', 'a', '50000']);
    expect(await askAtGate(ctx, await aiml().describe(h.workflowId), (t) => (said += t), approving.asker)).toBe('decided');
    expect(approving.asked).toEqual([
      '[a]pprove with a top-up, [r]eject to stop the run, or [q]uit and leave it waiting? ',
      'Top up by how many tokens? ', // the run's limit is in tokens only
      '[a]pprove with a top-up, [r]eject to stop the run, or [q]uit and leave it waiting? ',
      'Top up by how many tokens? ',
    ]);
    expect(said).toContain('The top-up must be a positive whole number, got "lots"');
    expect(said).toMatch(/applied: Approved budget \(round 1\) of \S+ as dee/);
    const after = await waitGate(h, DESIGN_GATE, 2); // the top-up let it redraft
    expect(after.details.budget).toMatchObject({ limit: { tokens: 50010 }, topUps: [{ by: 'dee', tokens: 50000 }] });
    await h.cancel();

    rig.llm.enqueue(draftReply('p3'));
    const h2 = await startDesign({ runBudget: { tokens: 10 } });
    await waitGate(h2, DESIGN_GATE);
    await h2.signal(rejectSignal, { by: 'ana', feedback: 'more detail' });
    await waitGate(h2, BUDGET_GATE);
    const rejecting = script(['r']);
    expect(await askAtGate(ctx, await aiml().describe(h2.workflowId), (t) => (said += t), rejecting.asker)).toBe('decided');
    expect(rejecting.asked).toHaveLength(1); // no feedback asked for: a rejection here stops the run
    expect(((await h2.result()) as DesignResult).stopped).toMatch(/^stopped by dee at the budget gate/);
  } finally {
    await ctx.close();
  }
});

/** Watch's text with each "[… n characters]" turned into n placeholder characters. */
const reassemble = (text: string): string => text.replace(/\[… (\d+) characters\]/g, (_m, n: string) => '\u0000'.repeat(Number(n)));
const matchesPrefix = (shown: string, full: string): boolean => shown.length <= full.length && [...shown].every((c, i) => c === '\u0000' || c === full[i]);

test('watch streams the generation in order, nothing twice across a retried attempt, and none of it lands in history', async () => {
  const first = JSON.stringify(sampleDraft('first-attempt-only'));
  const second = JSON.stringify(sampleDraft('streamed'));
  // Attempt 1 is cut mid-stream (retried by Temporal); attempt 2 streams the whole answer.
  rig.llm.enqueue({ content: first, cut: true, chunkChars: 50, chunkDelayMs: 100 }, { content: second, chunkChars: 50, chunkDelayMs: 100 });
  const h = await startDesign({});
  let text = '';
  const view = await aiml().watch(h.workflowId, { onText: (t) => (text += t), intervalMs: 150 });
  expect(view.pendingGate).toBe(DESIGN_GATE);

  const marker = '\n[attempt 2: the model starts its answer again]\n';
  expect(text.split(marker)).toHaveLength(2); // one retry, announced once
  const [one, two] = text.split(marker) as [string, string];
  expect(one.length).toBeGreaterThan(0);
  expect(matchesPrefix(reassemble(one), first)).toBe(true); // in order, each piece once
  expect(reassemble(one).length).toBeLessThan(first.length); // attempt 1 never finished
  expect(matchesPrefix(reassemble(two), second)).toBe(true);
  expect(reassemble(two).length).toBeGreaterThan(second.length / 2);

  const history = JSON.stringify((await h.fetchHistory()).events);
  expect(history).not.toContain('llm-stream');
  expect(history).not.toContain('first-attempt-only');
  await h.cancel();
});

describe('build', () => {
  const STEP = [{ title: 'Add whisper', files: [{ path: 'src/text.js' }] }];
  const EXPORTS = 'module.exports = { shout };';
  const WITH_WHISPER = "function whisper(s) {\n  return s.toLowerCase();\n}\n\nmodule.exports = { shout, whisper };";

  test("the agent loop's turns check the run's budget: parked before a turn, a token top-up goes on", async () => {
    const ws = fixtureRepo();
    const served = rig.llm.usages.length;
    rig.llm.enqueue(planReply(STEP), turn(editFile('src/text.js', EXPORTS, WITH_WHISPER)), turn(finish('Added whisper().')));
    const h = await startAgentBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'none', checkCommand: '', runBudget: { tokens: 1 } });
    const parked = await awaitingGate(h, BUDGET_GATE);
    expect(parked.step).toMatch(/waiting for approval of budget/);
    expect(parked.gates.at(-1)!.summary).toMatch(/^budget reached before step 1: \d+ tokens spent of 1/);
    await aiml().decide(h.workflowId, { decision: 'approve', by: 'bo', topUpTokens: 1_000_000 });
    const result = (await h.result()) as BuildResult;
    expect(result.steps[0]).toMatchObject({ status: 'passed' });
    expect(result.stopped).toBeUndefined();
    const usages = rig.llm.usages.slice(served);
    expect(usages).toHaveLength(3); // plan + 2 turns
    const cost = usages.reduce((n, u) => n + costUsd(PRICE, u.prompt_tokens, u.completion_tokens), 0);
    expect(result.usage.costUsd).toBeCloseTo(cost, 6);
    expect((await h.describe()).typedSearchAttributes.get(SA_COST_USD)).toBeCloseTo(cost, 6);
  });

  test('the budget, its top-ups and the spent totals travel with a run that continues as new', async () => {
    const ws = fixtureRepo();
    rig.llm.enqueue(planReply(STEP), ...Array.from({ length: 6 }, () => turn(readFile('src/text.js'))), turn(editFile('src/text.js', EXPORTS, WITH_WHISPER)), turn(finish('Added whisper().')));
    const h = await startAgentBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'none', checkCommand: '', runBudget: { tokens: 1 }, limits: { historyEvents: 50 } });
    await awaitingGate(h, BUDGET_GATE);
    await aiml().decide(h.workflowId, { decision: 'approve', by: 'bo', topUpTokens: 1_000_000 });
    // Had a continued run started over from the input's limit (1 token), it would park again here.
    const result = (await h.result()) as BuildResult;
    expect(result.steps[0]).toMatchObject({ status: 'passed' });
    const last = await rig.client.workflow.getHandle(h.workflowId).describe();
    expect(last.runId).not.toBe((h as WorkflowHandleWithFirstExecutionRunId).firstExecutionRunId); // it did continue as new
    const final = await rig.client.workflow.getHandle(h.workflowId).query(stateQuery);
    expect(final.details.budget).toMatchObject({ limit: { tokens: 1_000_001 }, topUps: [{ by: 'bo', tokens: 1_000_000 }] });
    expect(final.gates.filter((g) => g.gate === BUDGET_GATE)).toHaveLength(1);
    expect(result.usage.llmCalls).toBe(9); // plan + 8 turns, counted across the runs
  });

  test('stopping at the budget gate ends the build cleanly: the step skipped, the report written', async () => {
    const ws = fixtureRepo();
    rig.llm.enqueue(planReply(STEP));
    const h = await startAgentBuild(rig.client, rig.worker.taskQueue, { workspace: ws, approval: 'none', checkCommand: '', runBudget: { tokens: 1 } });
    await awaitingGate(h, BUDGET_GATE);
    await h.signal(rejectSignal, { by: 'bo' }); // from the UI: no feedback needed at the budget gate
    const result = (await h.result()) as BuildResult;
    expect(result.stopped).toMatch(/^stopped by bo at the budget gate/);
    expect(result.steps[0]).toMatchObject({ status: 'skipped' });
    expect(result.reportPath).toBe(path.join(ws, 'BUILD_REPORT.md'));
    expect(fs.existsSync(result.reportPath!)).toBe(true);
    expect((await aiml().describe(h.workflowId)).status).toBe('completed');
  });
});

test('the CLI: --budget said at start, watch streams the draft, status shows cost and budget, reject at the budget gate stops', async () => {
  const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress(), AIML_TASK_QUEUE: rig.worker.taskQueue };
  const cli = async (...argv: string[]) => {
    const io = { out: '', err: '' };
    const code = await main(argv, env, { out: (t) => (io.out += `${t}\n`), err: (t) => (io.err += `${t}\n`), write: (t) => (io.out += t) });
    return { code, ...io };
  };
  const draft = JSON.stringify(sampleDraft('cli'));
  rig.llm.enqueue({ content: draft, chunkChars: 40, chunkDelayMs: 100 }); // ~6 s of streaming: watch starts well within it
  const started = await cli('design', 'A docs chatbot', '--workspace', tmpDir(), '--budget', '0.5');
  expect(started.code).toBe(0);
  const id = started.out.trim();
  expect(started.err).toContain(`budget: $0.50. When it is reached the run waits at the budget gate: aiml approve ${id} --top-up <usd> to go on, aiml reject ${id} to stop it.`);
  expect((await cli('design', 'x', '--budget', 'lots')).err).toMatch(/--budget must be an amount in US dollars above 0/);

  const watched = await cli('watch', id);
  // Between the progress lines, the draft's text as it streamed: in order, once (the start may have gone by before watch began).
  const streamed = /drafting the architecture\n([\s\S]+)\n\[\d\d:\d\d:\d\d\] \S+ awaiting_approval/.exec(watched.out)?.[1] ?? '';
  expect(streamed.length).toBeGreaterThan(200);
  expect(matchesPrefix(reassemble(streamed), draft)).toBe(true);
  expect((await cli('reject', id, '--feedback', 'shorter')).code).toBe(0);
  const h = rig.client.workflow.getHandle(id);
  await waitGate(h as Handle, BUDGET_GATE);
  const status = await cli('status', id);
  expect(status.out).toMatch(/cost: {4}\$\d+\.\d{4}\n/);
  expect(status.out).toContain('budget:  $0.50');
  expect(status.out).toContain(`approve: aiml approve ${id} --gate budget --top-up <usd>`);
  expect((await cli('approve', id)).err).toMatch(/approved with a top-up/);
  const stopped = await cli('reject', id);
  expect(stopped.out).toMatch(/^applied: Rejected budget \(round 1\)/);
  expect(((await h.result()) as DesignResult).stopped).toMatch(/stopped by/);
});

test('ship: build starts with what design left of the budget; its budget gate is decided through the ship run', async () => {
  const ws = fixtureRepo();
  rig.llm.enqueue(draftReply('ship'));
  const h = await rig.client.workflow.start('ship', {
    taskQueue: rig.worker.taskQueue,
    workflowId: uniqueId('ship-budget'),
    args: [{ brief: 'Add a whisper helper', workspace: ws, designApproval: { mode: 'auto' }, buildApproval: 'none', checkCommand: '', force: true, runBudget: { usd: 0.5 } }], // the fixture has a SPECS.md
  });
  // The draft cost more than $0.50: the build child waits at its budget gate before planning.
  const view = await waitFor(async () => {
    const v = await aiml().describe(h.workflowId);
    return v.pendingGate === BUDGET_GATE ? v : undefined;
  }, 'the build child at its budget gate');
  expect(view.pendingGateWorkflowId).toBe(`${h.workflowId}-build`);
  const child = await aiml().describe(`${h.workflowId}-build`);
  expect(child.budget).toEqual({ usd: 0, tokens: 2_000_000 });
  await aiml().decide(h.workflowId, { decision: 'reject', by: 'cy' });
  const result = (await h.result()) as ShipResult;
  expect(result.stopped).toMatch(/^stopped by cy at the budget gate \(\$\d+\.\d{4} spent of \$0\.00\)/);
  expect(result.build).toMatchObject({ reportPath: null, steps: [] });
  const shipView = await aiml().describe(h.workflowId);
  expect(shipView.status).toBe('completed');
  expect(Object.keys(shipView.byPhase ?? {})).toEqual(['design', 'build']);
  expect(shipView.usage.costUsd).toBeCloseTo(result.usage.costUsd!, 8);
});
