import { loadLlmConfig, loadTemporalConfig, llmConfigured } from '../../src/config';
import { parseDuration } from '../../src/cli/options';
import { toRunStatus } from '../../src/cli/run-view';
import { toolCallLine } from '../../src/cli/watch';
import { previewLine } from '../../src/cli/commands/kb';
import { ArchitectureDraftSchema, SECTION_TITLES, semanticProblems } from '../../src/design/architecture';
import { renderSpec } from '../../src/design/render';
import { sampleDraft } from '../support/fixtures';

describe('configuration', () => {
  test('defaults', () => {
    expect(loadTemporalConfig({})).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'aiml' });
    expect(loadTemporalConfig({}).tls).toBeUndefined();
  });
  test('an API key turns on TLS', () => {
    const c = loadTemporalConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' });
    expect(c.tls).toEqual({});
    expect(c.apiKey).toBe('k');
  });
  test('each bad value names its variable', () => {
    expect(() => loadTemporalConfig({ TEMPORAL_ADDRESS: 'nope' })).toThrow(/TEMPORAL_ADDRESS/);
    expect(() => loadTemporalConfig({ TEMPORAL_TLS_CERT_PATH: '/x' })).toThrow(/TEMPORAL_TLS_KEY_PATH/);
    expect(() => loadLlmConfig({ OPENAI_BASE_URL: 'not a url' })).toThrow(/OPENAI_BASE_URL/);
    expect(() => loadLlmConfig({ OPENAI_API_KEY: 'k', AIML_LLM_TIMEOUT_MS: '-5' })).toThrow(/AIML_LLM_TIMEOUT_MS/);
    expect(() => loadLlmConfig({ AIML_LLM_PROVIDER: 'openai' })).toThrow(/set OPENAI_API_KEY/);
    expect(() => loadLlmConfig({ AIML_MAX_TOKENS: 'design=lots' })).toThrow(/AIML_MAX_TOKENS: "design=lots"/);
    expect(() => loadLlmConfig({ AIML_MAX_TOKENS: 'essay=100' })).toThrow(/type one of design, plan/);
  });
  test('no endpoint: the offline local model; AIML_MAX_TOKENS overrides some limits', () => {
    expect(loadLlmConfig({})).toMatchObject({ provider: 'local', model: 'local', timeoutMs: 540_000, maxTokens: { design: 4096, step: 8192, agent: 1536 } });
    expect(loadLlmConfig({ AIML_MAX_TOKENS: 'agent=3000' }).maxTokens?.agent).toBe(3000); // the local default gives way to the variable
    expect(loadLlmConfig({ OPENAI_API_KEY: 'k' }).maxTokens?.agent).toBe(4096); // a served model keeps the general default
    expect(loadLlmConfig({ OPENAI_API_KEY: 'k', AIML_MAX_TOKENS: 'design=6000, rerank=300' })).toMatchObject({
      provider: 'openai',
      maxTokens: { design: 6000, rerank: 300, step: 8192 },
    });
  });
  test('a local endpoint needs no key', () => {
    expect(llmConfigured({ OPENAI_BASE_URL: 'http://localhost:11434/v1' })).toBe(true);
    expect(loadLlmConfig({ OPENAI_BASE_URL: 'http://localhost:11434/v1' })).toMatchObject({ apiKey: 'not-needed', model: 'gpt-4o-mini', stream: true });
  });
});

describe('cli helpers', () => {
  test('durations', () => {
    expect(parseDuration('--timeout', '3d')).toBe(259_200_000);
    expect(parseDuration('--timeout', '90s')).toBe(90_000);
    expect(parseDuration('--timeout', '250')).toBe(250);
    expect(() => parseDuration('--timeout', 'soon')).toThrow(/--timeout must be a duration/);
  });
  test('statuses', () => {
    expect(toRunStatus('RUNNING', 'awaiting_approval')).toBe('awaiting_approval');
    expect(toRunStatus('RUNNING', 'running')).toBe('running');
    expect(toRunStatus('TERMINATED', 'running')).toBe('failed');
    expect(toRunStatus('CANCELLED', undefined)).toBe('cancelled');
  });
  test("a search hit's preview: a section's first line of text, a function's signature", () => {
    expect(previewLine({ kind: 'section', text: '## How a decision travels\n\n  One path, one answer.\nMore.' })).toBe('One path, one answer.');
    expect(previewLine({ kind: 'section', text: '# Title\n## Only headings' })).toBe('# Title');
    expect(previewLine({ kind: 'function', text: '\n# not a heading in Python\ndef f():' })).toBe('# not a heading in Python');
    expect(previewLine({ text: '' })).toBe('');
  });
  test('a tool call line: the call, then what came of it, once', () => {
    const base = { step: 1, turn: 2, id: 'c1', tool: 'grep', args: 'grep "shout"', status: 'ok' as const, resultChars: 2048, ms: 35 };
    expect(toolCallLine({ ...base, result: 'grep "shout" · 7 hits' })).toBe('  step 1 · grep "shout" → 7 hits · 2.0 KB · 35 ms');
    expect(toolCallLine({ ...base, tool: 'edit_file', args: 'edit_file src/a.js', result: 'applied edit_file src/a.js · +2 −1' })).toBe('  step 1 · edit_file src/a.js → applied edit_file src/a.js · +2 −1 · 2.0 KB · 35 ms');
    expect(toolCallLine({ ...base, args: 'grep (invalid call)', status: 'error', result: 'grep: invalid arguments: pattern: Required', resultChars: 40, ms: 0 })).toBe(
      '  step 1 · grep (invalid call) → error: grep: invalid arguments: pattern: Required · 40 B · 0 ms',
    );
    expect(toolCallLine({ ...base, result: 'grep "shout"', resultChars: undefined, ms: undefined })).toBe('  step 1 · grep "shout" → grep "shout"');
  });
});

describe('SPECS.md rendering', () => {
  test('the DESIGN return format with the six sections, in order, each with content', () => {
    const spec = renderSpec(sampleDraft('r'), {
      brief: 'A brief',
      decisions: [{ gate: 'design/spec', round: 1, decision: 'approve', by: 'ana', at: '2026-01-01T00:00:00.000Z', via: 'update' }],
    });
    const block = spec.slice(spec.indexOf('AI/ML ARCHITECTURE DESIGN:'));
    const positions = Object.values(SECTION_TITLES).map((t) => block.indexOf(`\n- ${t}: `));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(spec).toContain('design/spec round 1: approve by ana');
  });
  test('placeholders are caught beyond the schema', () => {
    const d = sampleDraft('p');
    d.safety.summary = 'TBD — to be decided later by the team';
    expect(ArchitectureDraftSchema.safeParse(d).success).toBe(true);
    expect(semanticProblems(d)).toEqual(['Safety & Ethics Framework: summary is a placeholder']);
  });
});
