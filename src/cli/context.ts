import os from 'node:os';
import type { Client } from '@temporalio/client';
import { loadTemporalConfig, type TemporalConfig } from '../config';
import { hostRouting } from '../config-hosts';
import { connectClient } from '../temporal/connection';
import { AimlClient } from '../client/aiml-client';
import { forTerminal } from './terminal';

/** What every command gets: its environment, its output streams, and a lazily connected client. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Raw output, no newline added (streamed text); default process.stdout. */
  write?: (text: string) => void;
  temporal(): TemporalConfig;
  client(): Promise<Client>;
  /** The typed client facade over client(), on this environment's namespace and task queue. */
  aiml(): Promise<AimlClient>;
  close(): Promise<void>;
  /** Exit code the command asks for (0 unless it sets one). */
  exitCode: number;
}

export function createContext(env: NodeJS.ProcessEnv = process.env, io?: { out?: (t: string) => void; err?: (t: string) => void; write?: (t: string) => void }): CliContext {
  let config: TemporalConfig | undefined;
  let clientPromise: Promise<Client> | undefined;
  const ctx: CliContext = {
    env,
    // Everything printed goes through forTerminal: no escape sequence from a brief or a model reaches the terminal.
    out: (t) => (io?.out ?? ((s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`)))(forTerminal(t)),
    err: (t) => (io?.err ?? ((s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`)))(forTerminal(t)),
    write: (t) => (io?.write ?? io?.out ?? ((s: string) => process.stdout.write(s)))(forTerminal(t)),
    temporal: () => (config ??= loadTemporalConfig(env)),
    client: () =>
      (clientPromise ??= connectClient(ctx.temporal()).catch((err) => {
        clientPromise = undefined; // a later call may try again
        throw err;
      })),
    async aiml() {
      const { namespace, taskQueue } = ctx.temporal();
      // Runs started here belong to this host: its worker holds the workspace.
      return new AimlClient(await ctx.client(), { namespace, taskQueue, routing: hostRouting(taskQueue, env), ...(env.AIML_MODEL?.trim() ? { model: env.AIML_MODEL.trim() } : {}) });
    },
    async close() {
      if (clientPromise) {
        const c = await clientPromise.catch(() => undefined);
        await c?.connection.close();
      }
    },
    exitCode: 0,
  };
  return ctx;
}

/** Who is deciding: --by, else AIML_USER, else the OS user. */
export function whoAmI(env: NodeJS.ProcessEnv, by?: string): string {
  if (by?.trim()) return by.trim();
  if (env.AIML_USER?.trim()) return env.AIML_USER.trim();
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.out(JSON.stringify(value, null, 2));
}
