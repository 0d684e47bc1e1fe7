import {
  checkDecision,
  decisionCommands,
  LIMITS,
  parseApprove,
  parseBuildInput,
  parseChildState,
  parseDecide,
  parseDesignInput,
  parseIngestInput,
  parseReject,
  parseShipInput,
  type DecisionTarget,
  type IngestPlanSummary,
  type IngestProgress,
  type Parsed,
} from '../../src/contracts';

const reason = (p: Parsed<unknown>): string => {
  if (p.ok) throw new Error(`expected a refusal, got ${JSON.stringify(p.value)}`);
  return p.reason;
};
const value = <T>(p: Parsed<T>): T => {
  if (!p.ok) throw new Error(`expected a value, got: ${p.reason}`);
  return p.value;
};

/** Payloads no message accepts. */
const JUNK: [string, unknown, RegExp][] = [
  ['null', null, /must be an object, got null/],
  ['a number', 42, /must be an object, got a number/],
  ['a string', 'approve', /must be an object, got a string/],
  ['an array', [1, 2], /must be an object, got an array/],
  ['a boolean', true, /must be an object, got a boolean/],
];

describe.each([
  ['approve', parseApprove],
  ['reject', parseReject],
  ['decide', parseDecide],
  ['childState', parseChildState],
  ['design input', parseDesignInput],
  ['build input', parseBuildInput],
  ['ship input', parseShipInput],
  ['ingest input', parseIngestInput],
] as const)('%s refuses junk', (what, parse) => {
  test.each(JUNK)('%s', (_kind, raw, expected) => {
    const r = reason(parse(raw));
    expect(r).toMatch(expected);
    expect(r.startsWith(`${what}: `)).toBe(true);
  });
  test('an unknown field, named', () => {
    expect(reason(parse({ evil: 1, 'sneaky\u001b[31m': 2 }))).toMatch(/unknown fields "evil", "sneaky\?\[31m"/);
  });
});

test('approve: trims, drops empty optional strings, reads no payload as {}', () => {
  expect(value(parseApprove({ by: '  ana ', comment: ' ok ', gate: 'design/spec' }))).toEqual({ by: 'ana', comment: 'ok', gate: 'design/spec' });
  expect(value(parseApprove({ by: '  ', comment: '' }))).toEqual({});
  expect(value(parseApprove(undefined))).toEqual({});
  expect(value(parseApprove({}))).toEqual({});
});

test('approve: wrong types never parse', () => {
  expect(reason(parseApprove({ by: 42 }))).toBe('approve: "by" must be a string, got a number');
  expect(reason(parseApprove({ by: 'ana', comment: 5 }))).toBe('approve: "comment" must be a string, got a number');
  expect(reason(parseApprove({ gate: null }))).toMatch(/"gate" must be a string, got null/);
  expect(reason(parseApprove({ gate: '  ' }))).toMatch(/"gate" must not be empty/);
  expect(reason(parseApprove({ by: ['ana'] }))).toMatch(/got an array/);
  expect(reason(parseApprove({ by: { toString: 'x' } }))).toMatch(/got an object/);
});

test('over-long strings are refused with the limit', () => {
  expect(reason(parseApprove({ by: 'x'.repeat(LIMITS.byChars + 1) }))).toBe(`approve: "by" is too long: ${LIMITS.byChars + 1} characters, at most ${LIMITS.byChars}`);
  expect(reason(parseReject({ feedback: 'f'.repeat(LIMITS.feedbackChars + 1) }))).toMatch(/"feedback" is too long/);
  expect(reason(parseDecide({ decision: 'approve', comment: 'c'.repeat(LIMITS.commentChars + 1) }))).toMatch(/"comment" is too long/);
  expect(reason(parseApprove({ gate: 'g'.repeat(LIMITS.gateChars + 1) }))).toMatch(/"gate" is too long/);
  // Trimmed first: padding does not count.
  expect(value(parseApprove({ by: `  ${'x'.repeat(LIMITS.byChars)}  ` })).by).toHaveLength(LIMITS.byChars);
});

test('reject: feedback may be missing or empty when parsing (checkDecision refuses it unless stop)', () => {
  // `{"stop": true}` from the UI stops a BUILD step with no feedback field at all.
  expect(value(parseReject({ by: 'ana', stop: true }))).toEqual({ by: 'ana', stop: true });
  expect(value(parseReject({ by: 'ana' }))).toEqual({ by: 'ana' });
  expect(reason(parseReject(undefined))).toBe('reject: no payload');
  expect(value(parseReject({ by: 'dee', feedback: ' ' }))).toEqual({ by: 'dee', feedback: '' });
  expect(value(parseReject({ feedback: ' use pgvector ', comment: 'x' }))).toEqual({ feedback: 'use pgvector', comment: 'x' });
  expect(reason(parseReject({ feedback: 7 }))).toMatch(/"feedback" must be a string, got a number/);
});

test('decide: the decision kind is exact', () => {
  expect(value(parseDecide({ decision: 'reject', feedback: 'more', by: 'bo' }))).toEqual({ decision: 'reject', feedback: 'more', by: 'bo' });
  expect(reason(parseDecide({ decision: 'APPROVE' }))).toMatch(/"decision" must be one of "approve", "reject", got "APPROVE"/);
  expect(reason(parseDecide({}))).toMatch(/missing the required field "decision"/);
  expect(reason(parseDecide({ decision: 1 }))).toMatch(/got a number/);
  expect(reason(parseDecide(undefined))).toBe('decide: no payload');
});

test('childState: every field typed', () => {
  const good = { workflowId: 'ship-1-design', phase: 'design', status: 'awaiting_approval', step: 'waiting', pendingGate: 'design/spec', totalTokens: 10 };
  expect(value(parseChildState(good))).toEqual(good);
  expect(value(parseChildState({ ...good, pendingGate: null, step: '' }))).toMatchObject({ pendingGate: null, step: '' });
  expect(reason(parseChildState({ ...good, status: 'done' }))).toMatch(/"status" must be one of/);
  expect(reason(parseChildState({ ...good, phase: 'x' }))).toMatch(/"phase" must be one of/);
  expect(reason(parseChildState({ ...good, totalTokens: -1 }))).toMatch(/"totalTokens" must be at least 0/);
  expect(reason(parseChildState({ ...good, totalTokens: 1.5 }))).toMatch(/whole number/);
  expect(reason(parseChildState({ ...good, totalTokens: Infinity }))).toMatch(/finite number, got a non-finite number/);
  expect(reason(parseChildState({ ...good, workflowId: '' }))).toMatch(/"workflowId" must not be empty/);
  expect(reason(parseChildState({ ...good, step: 's'.repeat(LIMITS.stepChars + 1) }))).toMatch(/"step" is too long/);
  const { totalTokens: _t, ...missing } = good;
  expect(reason(parseChildState(missing))).toMatch(/missing the required field "totalTokens"/);
});

describe('workflow inputs', () => {
  const design = { brief: 'A docs chatbot', workspace: '/tmp/ws' };
  test('design: limits, absolute workspace, nested policy', () => {
    expect(value(parseDesignInput({ ...design, brief: '  A docs chatbot \n', force: true }))).toEqual({ ...design, force: true });
    expect(reason(parseDesignInput({ ...design, workspace: '' }))).toBe('design input: "workspace" must not be empty');
    expect(reason(parseDesignInput({ ...design, workspace: 'rel/dir' }))).toMatch(/"workspace" must be an absolute path/);
    expect(reason(parseDesignInput({ ...design, brief: 'b'.repeat(LIMITS.briefChars + 1) }))).toMatch(/"brief" is too long: 32001 characters, at most 32000/);
    expect(reason(parseDesignInput({ ...design, brief: 'b'.repeat(1_100_000) }))).toMatch(/the input is too large/);
    expect(reason(parseDesignInput({ ...design, approval: { mode: 'sometimes' } }))).toMatch(/"approval.mode" must be one of "manual", "auto"/);
    expect(reason(parseDesignInput({ ...design, approval: { reminderIntervalMs: 5 } }))).toMatch(/"approval.reminderIntervalMs" must be at least 1000/);
    expect(reason(parseDesignInput({ ...design, approval: { timeout: 5 } }))).toMatch(/"approval" has unknown field "timeout"/);
    expect(reason(parseDesignInput({ ...design, kb: '' }))).toMatch(/"kb" must not be empty/);
    expect(reason(parseDesignInput({ ...design, force: 'yes' }))).toMatch(/"force" must be true or false, got a string/);
    expect(reason(parseDesignInput({ brief: 'x' }))).toMatch(/missing the required field "workspace"/);
  });
  test('build: an empty check command means none and is kept', () => {
    const input = { specPath: 'SPECS.md', workspace: '/w', checkCommand: '', approval: 'plan', limits: { maxSteps: 3 } };
    expect(value(parseBuildInput(input))).toEqual(input);
    expect(reason(parseBuildInput({ ...input, approval: 'all' }))).toMatch(/"approval" must be one of "each", "plan", "none"/);
    expect(reason(parseBuildInput({ ...input, limits: { maxSteps: 0 } }))).toMatch(/"limits.maxSteps" must be at least 1/);
    expect(reason(parseBuildInput({ ...input, gatePolicy: { mode: 'auto' } }))).toMatch(/"gatePolicy" has unknown field "mode"/);
  });
  test('ship', () => {
    expect(value(parseShipInput({ brief: 'b', workspace: '/w', buildApproval: 'none', designApproval: { mode: 'auto' } }))).toMatchObject({ buildApproval: 'none' });
    expect(reason(parseShipInput({ brief: '', workspace: '/w' }))).toMatch(/"brief" must not be empty/);
  });
  test('ingest, with the resume state carried across continue-as-new', () => {
    const skipped = { binary: 0, oversized: 0, unreadable: 1, ignored: 2 };
    const progress = {
      phase: 'indexing', kb: 'docs', root: '/d', batches: 2, batchesDone: 1, filesToIndex: 3, filesIndexed: 1, filesUnchanged: 0, filesRemoved: 0,
      chunksIndexed: 4, chunksEmbedded: 4, chunksCached: 0, chunksRemoved: 0, skipped,
    };
    const resume = { planRef: 'blob:abc', nextBatch: 1, progress, plan: { root: '/d', toIndex: 3, toDelete: 0, unchanged: 0, batches: 2, skipped, unreadablePaths: ['/d/x'] } };
    expect(value(parseIngestInput({ kb: 'docs', dir: '/d', batchFiles: 4, resume }))).toEqual({ kb: 'docs', dir: '/d', batchFiles: 4, resume });
    expect(reason(parseIngestInput({ kb: 'docs', resume: { ...resume, progress: { ...progress, skipped: null } } }))).toMatch(/"resume.progress.skipped" must be an object, got null/);
    // Every field a sync's progress and plan can have (Required: a field added to the contract must be added here,
    // and so to the parser, or a sync that continues as new fails on its own state).
    const full: Required<IngestProgress> = {
      ...progress, phase: 'indexing', skipped: { ...skipped, generated: 1 }, unreadablePaths: ['/d/x'], secretsRedacted: 2, bytesToIndex: 9_000, bytesIndexed: 3_000,
    };
    const fullPlan: Required<IngestPlanSummary> = { ...resume.plan, skipped: full.skipped, bytesToIndex: 9_000 };
    const carried = { ...resume, progress: full, plan: fullPlan };
    expect(value(parseIngestInput({ kb: 'docs', resume: carried }))).toEqual({ kb: 'docs', resume: carried });
    expect(reason(parseIngestInput({ kb: 'docs', batchFiles: 0 }))).toMatch(/"batchFiles" must be at least 1/);
    expect(value(parseIngestInput({ kb: 'docs', dir: '/d', adopt: true }))).toEqual({ kb: 'docs', dir: '/d', adopt: true });
    expect(reason(parseIngestInput({ kb: 'docs', dir: '/d', adopt: 'yes' }))).toMatch(/"adopt" must be/);
  });
});

describe('checkDecision', () => {
  const decided = { gate: 'build/plan', round: 1, status: 'approved' as const, decision: { decision: 'approve' as const, by: 'ana', at: '2026-01-01T00:00:00.000Z' } };
  const pending = { gate: 'build/step-1', round: 1, status: 'pending' as const };
  const waiting: DecisionTarget = { pendingGate: 'build/step-1', gates: [decided, pending] };
  test('applies to the pending gate, named or not', () => {
    expect(value(checkDecision(waiting, { decision: 'approve' }))).toBe(pending);
    expect(value(checkDecision(waiting, { decision: 'reject', gate: 'build/step-1', feedback: 'smaller' }))).toBe(pending);
  });
  test('refuses an unknown gate, a decided gate, no pending gate, an empty rejection', () => {
    expect(reason(checkDecision(waiting, { decision: 'approve', gate: 'design/spec' }))).toBe('unknown gate "design/spec"; the pending gate is "build/step-1"');
    expect(reason(checkDecision(waiting, { decision: 'approve', gate: 'build/plan' }))).toBe(
      'gate "build/plan" is already decided: approve by ana at 2026-01-01T00:00:00.000Z; the pending gate is "build/step-1"',
    );
    expect(reason(checkDecision({ pendingGate: null, gates: [decided] }, { decision: 'approve' }))).toBe('no gate is waiting for a decision');
    expect(reason(checkDecision({ pendingGate: null, gates: [decided] }, { decision: 'approve', gate: 'x' }))).toBe('unknown gate "x"; gates so far: build/plan');
    expect(reason(checkDecision(waiting, { decision: 'reject', feedback: ' ' }))).toBe('a rejection needs feedback saying what to change');
    expect(reason(checkDecision(waiting, { decision: 'reject' }))).toBe('a rejection needs feedback saying what to change');
  });
  test('a rejection that stops the step needs no feedback', () => {
    expect(value(checkDecision(waiting, { decision: 'reject', stop: true }))).toBe(pending);
  });
});

test('decision commands are rendered in one place', () => {
  expect(decisionCommands('design-1', 'design/spec')).toEqual({
    approve: 'aiml approve design-1 --gate design/spec',
    reject: 'aiml reject design-1 --gate design/spec --feedback "<what to change>"',
  });
});

test('no parser throws, whatever JSON arrives', () => {
  const parsers = [parseApprove, parseReject, parseDecide, parseChildState, parseDesignInput, parseBuildInput, parseShipInput, parseIngestInput];
  let seed = 7;
  const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const leaf = (): unknown => [null, 0, -1, 1.5, NaN, '', ' ', 'x'.repeat(rand(3) ? 3 : 50_000), true, 'approve', '/abs', 'design/spec'][rand(12)];
  const keys = ['by', 'gate', 'comment', 'feedback', 'decision', 'brief', 'workspace', 'kb', 'limits', 'resume', 'progress', 'status', '__proto__', 'constructor'];
  const value = (depth: number): unknown => {
    const k = rand(depth > 2 ? 1 : 3);
    if (k === 0) return leaf();
    if (k === 1) return Array.from({ length: rand(4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: rand(5) }, () => [keys[rand(keys.length)]!, value(depth + 1)]));
  };
  for (let i = 0; i < 2_000; i++) {
    const raw = JSON.parse(JSON.stringify(value(0)) ?? 'null');
    for (const parse of parsers) {
      const r = parse(raw);
      expect(typeof r.ok).toBe('boolean');
    }
  }
  // Not JSON at all (an in-process caller): still an answer, not an exception.
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  expect(parseDesignInput(circular)).toEqual({ ok: false, reason: 'design input: the input is not plain JSON data' });
  expect(parseApprove(new Date(0)).ok).toBe(false);
  expect(parseApprove(Object.create({ by: 'inherited' })).ok).toBe(false);
});
