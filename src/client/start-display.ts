import type { RunRouting } from '../contracts/routing';

/** What a run shows in the Temporal UI from the moment it starts (its static summary and details, markdown). */
export interface StartDisplay {
  staticSummary: string;
  staticDetails: string;
}

interface DisplayInput {
  brief?: string;
  workspace?: string;
  specPath?: string;
  root?: string;
  kb?: string;
  model?: string;
}

const firstLine = (text: string, max: number): string => {
  const line = text.trim().split('\n')[0]!.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};
/** Markdown inline code that the value cannot close. */
const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;

/** The UI's summary line and details block for a run of `phase` started with `input`. */
export function startDisplay(phase: string, input: DisplayInput, opts: { routing?: RunRouting; model?: string } = {}): StartDisplay {
  const what = input.brief ? firstLine(input.brief, 120) : input.specPath ? `from ${input.specPath}` : input.root ? `index ${input.root}` : '';
  const lines = [`**Phase:** ${phase}`];
  if (input.brief) lines.push(`**Brief:** ${firstLine(input.brief, 300)}`);
  if (input.specPath) lines.push(`**Spec:** ${code(input.specPath)}`);
  const folder = input.workspace ?? input.root;
  if (folder) lines.push(`**${input.workspace ? 'Workspace' : 'Folder'}:** ${code(folder)}`);
  if (input.kb) lines.push(`**Knowledge base:** ${code(input.kb)}`);
  lines.push(`**Host:** ${opts.routing ? `${code(opts.routing.host)} (workspace work on ${code(opts.routing.hostQueue)}, model calls on ${code(opts.routing.sharedQueue)})` : 'any worker (one task queue)'}`);
  lines.push(`**Model:** ${input.model ?? opts.model ?? "the worker's default (AIML_MODEL)"}`);
  return { staticSummary: `${phase}${what ? `: ${what}` : ''}`, staticDetails: lines.join('  \n') };
}
