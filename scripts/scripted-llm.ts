/**
 * Runs the scripted OpenAI-compatible server standalone (for trying the CLI without a real model):
 *   npx tsx scripts/scripted-llm.ts [port]
 * Every chat request gets a valid architecture draft after AIML_SCRIPTED_DELAY_MS (default 200).
 */
import { draftReply } from '../test/support/fixtures';
import { startScriptedLlm } from '../test/support/scripted-llm';

async function mainScripted(): Promise<void> {
  const port = Number(process.argv[2] ?? 18080);
  const delay = Number(process.env.AIML_SCRIPTED_DELAY_MS ?? 200);
  const llm = await startScriptedLlm({ port });
  llm.setFallback((_req, i) => draftReply(`draft-${i + 1}`, delay));
  process.stdout.write(`scripted LLM on ${llm.url}\n`);
}

void mainScripted();
