import { z } from 'zod';
import { diffStat, renderDiff } from '../../workspace/diff';
import { formatProblems, prepareEdits, type FileEdit } from '../../workspace/edits';
import { toolArgs, workspacePath } from './schema';
import type { EditFileArgs, EditResult, EditTool, MultiEditArgs, ToolContext, WriteFileArgs } from './types';

/**
 * write_file, edit_file and multi_edit: each PREPARES a change through `prepareEdits` (path
 * guards, secret scan, exact unique search/replace with the nearest-match error) and returns the
 * files' before/after with their diff. Nothing is written here: the loop gates and applies it.
 */

const MAX_CONTENT = 512 * 1024;
const Text = (what: string, min = 0): z.ZodString => z.string().min(min).max(MAX_CONTENT).describe(what);

function prepare(ctx: ToolContext, name: string, edit: FileEdit): EditResult {
  const { files, problems } = prepareEdits(ctx.workspace, [edit]);
  if (problems.length) return { ok: false, error: `${name} refused, nothing was changed:\n${formatProblems(problems)}` };
  if (files.length === 0) return { ok: false, error: `${name} changes nothing: the file already has exactly that content` };
  const diff = renderDiff(files);
  const { added, removed } = diffStat(diff);
  const created = files[0]!.before === null ? ' (new file)' : '';
  return { ok: true, files, diff, summary: `${name} ${files[0]!.path}${created} · +${added} −${removed}` };
}

export function writeFileTool(): EditTool<WriteFileArgs> {
  return {
    name: 'write_file',
    kind: 'edit',
    description: 'Create a file, or replace a whole file, with the given content. For a change to part of an existing file use edit_file.',
    ...toolArgs(z.strictObject({ path: workspacePath('File path relative to the workspace root'), content: Text('The whole new content of the file') })),
    summary: (a) => `write_file ${a.path}`,
    async prepare(a, ctx) {
      return prepare(ctx, 'write_file', { path: a.path, action: 'write', content: a.content });
    },
  };
}

const Replace = { old_text: Text('Exact text to find; it must occur exactly once in the file', 1), new_text: Text('Text to put in its place') };

export function editFileTool(): EditTool<EditFileArgs> {
  return {
    name: 'edit_file',
    kind: 'edit',
    description:
      'Replace one exact piece of an existing file: old_text must occur exactly once (include a few surrounding lines to make it unique). When it matches nowhere, the answer shows the nearest lines with their numbers and how they differ; when it matches several places, their line numbers.',
    ...toolArgs(z.strictObject({ path: workspacePath('File path relative to the workspace root'), ...Replace })),
    summary: (a) => `edit_file ${a.path}`,
    async prepare(a, ctx) {
      return prepare(ctx, 'edit_file', { path: a.path, action: 'patch', blocks: [{ search: a.old_text, replace: a.new_text }] });
    },
  };
}

export function multiEditTool(): EditTool<MultiEditArgs> {
  return {
    name: 'multi_edit',
    kind: 'edit',
    description:
      'Several replacements in one existing file, applied in order (each sees the result of the one before), all or nothing: if any edit fails to match exactly once, none is made.',
    ...toolArgs(z.strictObject({ path: workspacePath('File path relative to the workspace root'), edits: z.array(z.strictObject(Replace)).min(1).max(50) })),
    summary: (a) => `multi_edit ${a.path} (${a.edits.length} edits)`,
    async prepare(a, ctx) {
      return prepare(ctx, 'multi_edit', { path: a.path, action: 'patch', blocks: a.edits.map((e) => ({ search: e.old_text, replace: e.new_text })) });
    },
  };
}
