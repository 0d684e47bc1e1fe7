import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { BuildPlan, StepEdits } from '../../src/builder/schemas';
import { tmpDir } from '../support/env';

/** A small git repository with a passing check (`node test.js`), committed. */
export function fixtureRepo(): string {
  const dir = tmpDir('aiml-build-');
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'fixture', version: '1.0.0', scripts: { test: 'node test.js' } }, null, 2) + '\n',
    'README.md': '# Fixture\nA tiny text utility library.\n',
    'src/text.js': "function shout(s) {\n  return s.toUpperCase();\n}\n\nmodule.exports = { shout };\n",
    'test.js': "const assert = require('node:assert');\nconst { shout } = require('./src/text');\nassert.strictEqual(shout('hi'), 'HI');\nconsole.log('ok');\n",
    'SPECS.md': '# Spec\nAdd a whisper() function and a word counter to the text library, with tests.\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'fixture');
  return dir;
}

export function git(dir: string, ...args: string[]): string {
  const r = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Changed and untracked paths, as `git status` sees them. */
export function gitChanged(dir: string): string[] {
  return git(dir, 'status', '--porcelain', '--untracked-files=all')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3))
    .sort();
}

export function planReply(steps: { title: string; files: { path: string; action?: 'create' | 'modify' | 'delete' }[] }[], title = 'Text utilities'): { content: string } {
  const plan: BuildPlan = {
    title,
    summary: 'Adds whisper and word counting to the text library, each with a test.',
    codeStructure: 'src/text.js holds the string helpers; test.js checks them with node:assert.',
    steps: steps.map((s) => ({
      title: s.title,
      description: `${s.title}, checked by the test script.`,
      files: s.files.map((f) => ({ path: f.path, action: f.action ?? 'modify', purpose: `${s.title} in ${f.path}` })),
    })),
  };
  return { content: JSON.stringify(plan) };
}

type Edit = StepEdits['edits'][number];
export const write = (p: string, content: string, why = `write ${p}`): Edit => ({ path: p, action: 'write', why, content });
export const patch = (p: string, blocks: [string, string][], why = `patch ${p}`): Edit => ({ path: p, action: 'patch', why, blocks: blocks.map(([search, replace]) => ({ search, replace })) });

export function stepReply(edits: Edit[], extra: Partial<StepEdits> = {}, delayMs?: number): { content: string; delayMs?: number } {
  const out: StepEdits = {
    summary: `edits ${edits.map((e) => e.path).join(', ')}`,
    edits,
    keyImplementations: [{ name: 'text helpers', description: 'string helpers in src/text.js' }],
    interfaces: ['shout(s: string): string'],
    dependencies: [],
    configuration: [],
    usage: "const { shout } = require('./src/text');",
    ...extra,
  };
  return { content: JSON.stringify(out), delayMs };
}

/** Step 1 of the standard two-step build: whisper() plus its test. */
export const whisperEdits = (): Edit[] => [
  patch('src/text.js', [
    ['module.exports = { shout };', "function whisper(s) {\n  return s.toLowerCase();\n}\n\nmodule.exports = { shout, whisper };"],
  ]),
  patch('test.js', [["console.log('ok');", "assert.strictEqual(require('./src/text').whisper('HI'), 'hi');\nconsole.log('ok');"]]),
];

/** Step 2: a new module and its test. */
export const wordsEdits = (): Edit[] => [
  write('src/words.js', "function countWords(s) {\n  return s.split(/\\s+/).filter(Boolean).length;\n}\n\nmodule.exports = { countWords };\n", 'word counter'),
  patch('test.js', [["console.log('ok');", "assert.strictEqual(require('./src/words').countWords('a b  c'), 3);\nconsole.log('ok');"]]),
];

/**
 * The same edits as an agent step: one turn calling the edit tools (write_file, edit_file, or
 * multi_edit for several blocks), then a turn calling finish_step.
 */
export function agentReplies(edits: Edit[], summary = 'Done: the edits are in place.'): { content: string; toolCalls: { name: string; arguments: Record<string, unknown> }[] }[] {
  const calls = edits.map((e) => {
    if (e.action === 'write') return { name: 'write_file', arguments: { path: e.path, content: e.content } };
    if (e.action !== 'patch') throw new Error(`no agent tool for a ${e.action} edit`);
    const blocks = (e.blocks ?? []).map((b) => ({ old_text: b.search, new_text: b.replace }));
    return blocks.length === 1 ? { name: 'edit_file', arguments: { path: e.path, ...blocks[0]! } } : { name: 'multi_edit', arguments: { path: e.path, edits: blocks } };
  });
  return [
    { content: '', toolCalls: calls },
    { content: '', toolCalls: [{ name: 'finish_step', arguments: { summary } }] },
  ];
}

/** A one-step plan that wraps a payment client's calls in a retry helper (step context and leads tests), its step worded as given. */
export function paymentRetryPlan(step: { description: string; purpose: string }): BuildPlan {
  return {
    title: 'Retries',
    summary: 'Retry failed payment calls.',
    codeStructure: 'src/net holds the HTTP helpers; src/pay the payment client.',
    steps: [{ title: 'Retry payment calls', description: step.description, files: [{ path: 'src/pay/client.ts', action: 'modify', purpose: step.purpose }] }],
  };
}
