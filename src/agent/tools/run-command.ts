import { z } from 'zod';
import { short, toolArgs, upTo } from './schema';
import type { CommandResult, CommandTool, RunCommandArgs, ToolLimits } from './types';

/** run_command: names a shell command; the loop applies its policy and runs it in the sandbox. */

export function runCommandTool(limits: ToolLimits): CommandTool<RunCommandArgs> {
  const maxSeconds = Math.floor(limits.commandMaxTimeoutMs / 1000);
  return {
    name: 'run_command',
    kind: 'command',
    description: `Run a shell command in the workspace folder (tests, a linter, a script). It runs without network access and without credentials in its environment, and is stopped after timeout_seconds (default ${Math.round(limits.commandDefaultTimeoutMs / 1000)}, at most ${maxSeconds}). Commands outside the run's allow-list wait for a person's approval. Output comes back with its middle cut when long.`,
    ...toolArgs(
      z.strictObject({
        command: z.string().min(1).max(2000).describe('The command line, run by /bin/sh'),
        timeout_seconds: upTo(maxSeconds).optional(),
      }),
    ),
    summary: (a) => `run_command ${short(a.command)}`,
    request: (a) => ({ command: a.command.trim(), timeoutMs: a.timeout_seconds ? a.timeout_seconds * 1000 : limits.commandDefaultTimeoutMs }),
  };
}

/** The tool message the model gets for a command's result. */
export function formatCommandResult(r: CommandResult): string {
  const head =
    r.status === 'exited'
      ? `exit code ${r.exitCode}`
      : r.status === 'timed_out'
        ? 'timed out and killed'
        : r.status === 'cancelled'
          ? 'cancelled'
          : 'interrupted';
  const notes = [r.truncated && `output cut to its head and tail (${r.outputBytes} bytes in all)`, r.redactions.length && `${r.redactions.length} secret(s) redacted`].filter(Boolean);
  return `${head} after ${(r.durationMs / 1000).toFixed(1)} s${notes.length ? `; ${notes.join('; ')}` : ''}\n${r.output}`;
}
