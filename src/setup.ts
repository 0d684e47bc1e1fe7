import { errorMessage } from './errors';
import { ensureChatModel } from './llm/local/install';
import { ensureLocalModel, staticModelSelected } from './rag/embed/model-install';
import { ensureStaticTable } from './rag/embed/static-model';
import { ensureTemporalBinary } from './temporal/install';

/** `npm run setup`: installs what aiml fetches on first use (Temporal CLI, local embedding model, offline chat model) now. */
async function setup(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const temporal = ensureTemporalBinary(process.env, log);
  process.stdout.write(`Temporal CLI: ${temporal}\n`);
  const model = ensureLocalModel(process.env, log);
  process.stdout.write(`Embedding model: ${model.onnx}\n`);
  if (staticModelSelected()) {
    process.stdout.write(`Static embedding model: ${(await ensureStaticTable(process.env, log)).file}\n`);
  }
  process.stdout.write(`Offline chat model: ${ensureChatModel(process.env, log)}\n`);
}

setup().catch((err) => {
  process.stderr.write(`aiml setup: ${errorMessage(err)}\n`);
  process.exitCode = 1;
});
