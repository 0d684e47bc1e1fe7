import { formatCommandResult } from '../../../src/agent/tools/run-command';
import { agentTools } from '../../../src/agent/tools/registry';
import type { AgentTool } from '../../../src/agent/tools/types';

test('the registry offers kb_search only with a knowledge base; definitions carry bounded JSON schemas', () => {
  const plain = agentTools();
  expect(plain.definitions.map((d) => d.name)).toEqual(['read_file', 'list_files', 'grep', 'search_code', 'write_file', 'edit_file', 'multi_edit', 'run_command', 'finish_step']);
  const withKb = agentTools({ knowledgeBase: true });
  expect(withKb.definitions.map((d) => d.name)).toContain('kb_search');
  for (const d of withKb.definitions) {
    expect(d.parameters).toMatchObject({ type: 'object', additionalProperties: false });
    expect(d.parameters).not.toHaveProperty('$schema');
    const props = (d.parameters as { properties: Record<string, { type?: string; maxLength?: number; maxItems?: number }> }).properties;
    for (const [name, p] of Object.entries(props)) {
      if (p.type === 'string') expect([d.name, name, typeof p.maxLength]).toEqual([d.name, name, 'number']);
      if (p.type === 'array') expect([d.name, name, typeof p.maxItems]).toEqual([d.name, name, 'number']);
    }
  }
  expect(withKb.tools.get('read_file')!.kind).toBe('read');
  expect(withKb.tools.get('edit_file')!.kind).toBe('edit');
  expect(withKb.tools.get('run_command')!.kind).toBe('command');
  expect(withKb.tools.get('finish_step')!.kind).toBe('finish');
});

test('bad calls are tool errors, never throws: unknown tool, broken JSON, wrong types', () => {
  const t = agentTools();
  expect(t.parseCall({ id: '1', name: 'rm_rf', arguments: '{}' })).toEqual({ ok: false, error: expect.stringMatching(/^there is no tool named "rm_rf"; the tools are: read_file, /) });
  expect(t.parseCall({ id: '1', name: 'grep', arguments: '{"pattern": ' })).toEqual({ ok: false, error: expect.stringMatching(/^grep: the arguments are not valid JSON/) });
  expect(t.parseCall({ id: '1', name: 'grep', arguments: '{"pattern": 5}' })).toEqual({ ok: false, error: expect.stringMatching(/^grep: invalid arguments: pattern: /) });
  expect(t.parseCall({ id: '1', name: 'finish_step', arguments: '{"summary": "   "}' })).toEqual({ ok: false, error: expect.stringMatching(/summary: Too small/) });
  expect(t.parseCall({ id: '1', name: 'run_command', arguments: JSON.stringify({ command: 'x'.repeat(3000) }) }).ok).toBe(false);
});

test('run_command names the request with its timeout; finish_step returns the summary; summaries are short', () => {
  const t = agentTools({ limits: { commandDefaultTimeoutMs: 60_000, commandMaxTimeoutMs: 600_000 } });
  const run = t.parseCall({ id: '1', name: 'run_command', arguments: '{"command": " npm test "}' });
  if (!run.ok) throw new Error(run.error);
  const tool = run.tool as AgentTool;
  if (tool.kind !== 'command') throw new Error('not a command tool');
  expect(tool.request(run.args)).toEqual({ command: 'npm test', timeoutMs: 60_000 });
  expect(tool.summary(run.args)).toBe('run_command npm test');
  // A timeout over the ceiling is the ceiling (a grammar cannot hold a small model to "maximum"); 0 and fractions are refused.
  const long = t.parseCall({ id: '1', name: 'run_command', arguments: '{"command": "x", "timeout_seconds": 601}' });
  if (!long.ok || long.tool.kind !== 'command') throw new Error('run_command did not parse');
  expect(long.tool.request(long.args)).toEqual({ command: 'x', timeoutMs: 600_000 });
  expect(t.parseCall({ id: '1', name: 'run_command', arguments: '{"command": "x", "timeout_seconds": 0}' })).toEqual({ ok: false, error: expect.stringMatching(/timeout_seconds: Too small/) });
  expect(t.parseCall({ id: '1', name: 'run_command', arguments: '{"command": "x", "timeout_seconds": 1.5}' })).toEqual({ ok: false, error: expect.stringMatching(/timeout_seconds: /) });
  expect(JSON.stringify(t.definitions.find((d) => d.name === 'run_command'))).toContain('"maximum":600');
  const fin = t.parseCall({ id: '2', name: 'finish_step', arguments: '{"summary": "Added the retry."}' });
  if (!fin.ok || fin.tool.kind !== 'finish') throw new Error('finish_step did not parse');
  expect(fin.tool.result(fin.args)).toEqual({ summary: 'Added the retry.' });
  const text = formatCommandResult({ command: 'npm test', status: 'exited', exitCode: 1, signal: null, durationMs: 4200, output: 'FAIL x\n', outputBytes: 90000, truncated: true, redactions: [], network: 'isolated', summary: '' });
  expect(text).toBe('exit code 1 after 4.2 s; output cut to its head and tail (90000 bytes in all)\nFAIL x\n');
});

test('numbers and yes/no sent as strings (as many open models write them) are taken as such; other strings are not', () => {
  const t = agentTools({});
  const args = (name: string, raw: Record<string, unknown>) => {
    const p = t.parseCall({ id: '1', name, arguments: JSON.stringify(raw) });
    return p.ok ? p.args : p.error;
  };
  expect(args('read_file', { path: 'a.ts', start_line: '10', end_line: ' 20 ' })).toEqual({ path: 'a.ts', start_line: 10, end_line: 20 });
  expect(args('grep', { pattern: 'x', case_insensitive: 'true' })).toEqual({ pattern: 'x', case_insensitive: true });
  expect(args('grep', { pattern: 'x', case_insensitive: 'false' })).toEqual({ pattern: 'x', case_insensitive: false });
  expect(args('read_file', { path: 'a.ts', start_line: 'ten' })).toMatch(/^read_file: invalid arguments: start_line: /);
  expect(args('read_file', { path: 'a.ts', start_line: '1.5' })).toMatch(/^read_file: invalid arguments: start_line: /);
  expect(args('read_file', { path: 'a.ts', start_line: '0' })).toMatch(/start_line: Too small/);
  expect(args('grep', { pattern: 'x', case_insensitive: 'yes' })).toMatch(/^grep: invalid arguments: case_insensitive: /);
  expect(args('run_command', { command: 'x', timeout_seconds: '9999' })).toEqual({ command: 'x', timeout_seconds: 900 }); // the default ceiling
});
