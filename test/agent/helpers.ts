import fs from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { BuildInput } from '../../src/contracts';
import { git } from '../build/fixtures';
import { startBuild } from '../build/helpers';
import type { ChatRequestBody, ScriptedToolCall } from '../support/scripted-llm';

/** Scripted agent turns: each reply asks for the given tool calls. */
export const call = (name: string, args: Record<string, unknown>): ScriptedToolCall => ({ name, arguments: args });
export const turn = (...calls: ScriptedToolCall[]): { content: string; toolCalls: ScriptedToolCall[] } => ({ content: '', toolCalls: calls });

export const grep = (pattern: string) => call('grep', { pattern });
export const readFile = (path: string) => call('read_file', { path });
export const searchCode = (query: string) => call('search_code', { query });
export const editFile = (path: string, oldText: string, newText: string) => call('edit_file', { path, old_text: oldText, new_text: newText });
export const writeFile = (path: string, content: string) => call('write_file', { path, content });
export const runCommand = (command: string) => call('run_command', { command });
export const finish = (summary = 'The step is done and its check passes.') => call('finish_step', { summary });

/** The tool results a request carried back to the model, in order. */
export function toolResults(req: ChatRequestBody): string[] {
  return req.messages.filter((m) => m.role === 'tool').map((m) => m.content ?? '');
}

/** The tool results of the latest turn only (after the last assistant message). */
export function latestResults(req: ChatRequestBody): string[] {
  const last = req.messages.map((m) => m.role).lastIndexOf('assistant');
  return req.messages.slice(last + 1).filter((m) => m.role === 'tool').map((m) => m.content ?? '');
}

/** Whole text of a request, for "does the model see X" assertions. */
export const promptText = (req: ChatRequestBody): string => req.messages.map((m) => m.content ?? '').join('\n');

/** Starts a build whose steps are agent loops. */
export function startAgentBuild(client: Client, taskQueue: string, input: Partial<BuildInput> & { workspace: string }): Promise<WorkflowHandle> {
  return startBuild(client, taskQueue, { ...input, stepMode: 'agent' });
}

/** A script that counts its runs in a marker file (one line per run) and prints its arguments. */
export function addMarkerScript(ws: string): string {
  fs.writeFileSync(path.join(ws, 'mark.js'), "require('node:fs').appendFileSync(__dirname + '/.marks', (process.argv[2] ?? 'run') + '\\n');\nconsole.log('marked', process.argv[2] ?? '');\n");
  git(ws, 'add', 'mark.js');
  git(ws, '-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'marker');
  fs.appendFileSync(path.join(ws, '.git/info/exclude'), '.marks\n');
  return path.join(ws, '.marks');
}
export const marks = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
