import { main } from '../../src/cli/program';
import type { CliResult } from '../support/processes';

/** Runs the `aiml` CLI in this process (as `runCli` does in a child, minus the seconds of start-up). */
export async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, env, { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`) });
  return { code, stdout, stderr };
}
