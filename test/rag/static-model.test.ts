import fs from 'node:fs';
import path from 'node:path';
import { loadRagConfig } from '../../src/rag/config';
import { ensureLocalModel, LOCAL_MODEL, selectedLocalModel, staticModelSelected } from '../../src/rag/embed/model-install';
import { ensureStaticTable, StaticEmbedder, STATIC_MODEL_ID, staticTablePath, tokenWeight } from '../../src/rag/embed/static-model';
import { WordPieceTokenizer } from '../../src/rag/embed/wordpiece';
import { createEmbedder } from '../../src/rag/embed/factory';
import { tmpDir } from '../support/env';

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('minilm-static: distilled from the installed MiniLM, no transformer per text', () => {
  const files = ensureLocalModel(process.env, () => {}, LOCAL_MODEL);
  const state = tmpDir('aiml-static-');
  const env = { AIML_HOME: state };
  afterAll(() => fs.rmSync(state, { recursive: true, force: true }));

  test('distils once per host into the state folder, the same bytes every time; a damaged table is distilled again', async () => {
    const logs: string[] = [];
    const first = await ensureStaticTable(env, (l) => logs.push(l), files);
    const vocab = WordPieceTokenizer.fromTokenizerJson(files.tokenizer).size;
    expect(first.file.startsWith(path.join(state, 'models', 'minilm-static'))).toBe(true);
    expect(first.file).toBe(staticTablePath(env, LOCAL_MODEL.onnxSha256)); // named by the model file's digest
    expect(fs.statSync(first.file).size).toBe(vocab * 384 * 4);
    expect(logs).toEqual([expect.stringMatching(/^Distilling minilm-static from .* \(once per host/)]);
    const bytes = fs.readFileSync(first.file);

    logs.length = 0;
    await ensureStaticTable(env, (l) => logs.push(l), files);
    expect(logs).toEqual([]); // already there: not distilled again

    fs.truncateSync(first.file, 1000); // a table cut short (a full disk, a copy gone wrong)
    // Temp tables: one of a distillation killed two hours ago, one of a distillation running now.
    const dead = `${first.file}.partial-999999-dead01`;
    const live = `${first.file}.partial-999998-live01`;
    fs.writeFileSync(dead, 'x');
    fs.utimesSync(dead, new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));
    fs.writeFileSync(live, 'x');
    await ensureStaticTable(env, (l) => logs.push(l), files);
    expect(logs).toHaveLength(1);
    expect(fs.readFileSync(first.file).equals(bytes)).toBe(true); // deterministic
    expect(fs.readdirSync(path.dirname(first.file)).filter((f) => f.includes('.partial-'))).toEqual([path.basename(live)]);
  }, 180_000);

  test('a table beside AIML_EMBED_MODEL_DIR (a models folder several state folders share) is used, not distilled again', async () => {
    const shared = tmpDir('aiml-static-models-');
    const otherHome = tmpDir('aiml-static-home-');
    try {
      const made = staticTablePath(env, LOCAL_MODEL.onnxSha256); // distilled by the test above
      const beside = path.join(shared, 'minilm-static', path.basename(made));
      fs.mkdirSync(path.dirname(beside), { recursive: true });
      fs.copyFileSync(made, beside);
      const logs: string[] = [];
      const found = await ensureStaticTable({ AIML_HOME: otherHome, AIML_EMBED_MODEL_DIR: path.join(shared, 'all-minilm-l6-v2-q') }, (l) => logs.push(l), files);
      expect(found.file).toBe(beside);
      expect(logs).toEqual([]);
      expect(fs.existsSync(path.join(otherHome, 'models'))).toBe(false);
      // A table cut short there is not used: this state folder distils its own.
      fs.truncateSync(beside, 1000);
      const own = await ensureStaticTable({ AIML_HOME: otherHome, AIML_EMBED_MODEL_DIR: path.join(shared, 'all-minilm-l6-v2-q') }, (l) => logs.push(l), files);
      expect(own.file).toBe(staticTablePath({ AIML_HOME: otherHome }, LOCAL_MODEL.onnxSha256));
      expect(logs).toHaveLength(1);
    } finally {
      fs.rmSync(shared, { recursive: true, force: true });
      fs.rmSync(otherHome, { recursive: true, force: true });
    }
  }, 180_000);

  test('a model file that cannot run fails the distillation clearly, leaving no table behind', async () => {
    const bad = tmpDir('aiml-static-bad-');
    try {
      const onnx = path.join(bad, 'broken.onnx');
      fs.writeFileSync(onnx, 'not an onnx model');
      const badEnv = { AIML_HOME: bad };
      await expect(ensureStaticTable(badEnv, () => {}, { onnx, tokenizer: files.tokenizer })).rejects.toMatchObject({
        code: 'EMBED_MODEL_INSTALL_FAILED',
        message: expect.stringMatching(/Distilling minilm-static from .*broken\.onnx failed \(exit 1\)/),
      });
      expect(fs.readdirSync(path.join(bad, 'models', 'minilm-static'))).toEqual([]);
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });

  test('rarer words count more than common ones; punctuation and single characters count least', () => {
    const tok = WordPieceTokenizer.fromTokenizerJson(files.tokenizer);
    const the = tok.idOf('the')!;
    const w = (t: string) => tokenWeight(tok.idOf(t)!, the);
    expect(w('the')).toBeCloseTo(Math.log(2), 9);
    expect(w('{')).toBeCloseTo(Math.log(2), 9);
    expect(w('socket')).toBeGreaterThan(w('file'));
    expect(w('file')).toBeGreaterThan(w('the'));
  });

  test('vectors are 384-d, unit length, and rank texts about the same thing above unrelated ones', async () => {
    const embedder = new StaticEmbedder({ files, env });
    const [yaml, loader, retry, empty] = await embedder.embed([
      'parse a YAML document into an object',
      'function loadYaml(source) { return yaml.load(source, { schema }); } // reads YAML text',
      'retry the HTTP request with exponential backoff and jitter',
      '',
    ]);
    expect(embedder.id).toBe(STATIC_MODEL_ID);
    expect(yaml).toHaveLength(384);
    expect(dot(yaml!, yaml!)).toBeCloseTo(1, 4);
    expect(dot(yaml!, loader!)).toBeGreaterThan(dot(yaml!, retry!) + 0.1);
    expect(dot(empty!, empty!)).toBe(0); // no tokens: a zero vector, close to nothing
    // A text embeds the same alone and among others (no batch effects), and past MiniLM's 128 tokens.
    const long = 'open the socket and send the frame '.repeat(40);
    const [a, b] = await embedder.embed([`${long} then close it`, `${long} then parse the YAML reply`]);
    expect(dot(a!, b!)).toBeLessThan(0.9999);
    const [alone] = await embedder.embed(['parse a YAML document into an object']);
    expect(dot(alone!, yaml!)).toBeCloseTo(1, 6);
    expect(embedder.cacheKey).toBe(`${STATIC_MODEL_ID}@512`);
  });

  test('a cancelled embedding stops with CANCELLED', async () => {
    const embedder = new StaticEmbedder({ files, env });
    const ctl = new AbortController();
    ctl.abort();
    await expect(embedder.embed(['a', 'b'], ctl.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  test('it is the default local model; AIML_LOCAL_EMBED_MODEL picks a transformer instead', () => {
    expect(loadRagConfig({ AIML_LOCAL_EMBED_MODEL: 'minilm-static', AIML_EMBED_PROCESSES: '1' }).embeddings).toEqual({ kind: 'local', processes: 1, model: 'minilm-static' });
    expect(loadRagConfig({ AIML_EMBED_PROCESSES: '1' }).embeddings).toEqual({ kind: 'local', processes: 1 });
    expect(createEmbedder({ kind: 'local', model: 'minilm-static' }).id).toBe(STATIC_MODEL_ID);
    expect(createEmbedder({ kind: 'local' }).id).toBe(STATIC_MODEL_ID);
    expect(createEmbedder({ kind: 'local', model: 'all-minilm-l6-v2-q' }).id).toBe(LOCAL_MODEL.id);
    expect(staticModelSelected({})).toBe(true);
    expect(staticModelSelected({ AIML_LOCAL_EMBED_MODEL: 'bge-small-en-v1.5-q' })).toBe(false);
    expect(selectedLocalModel({ AIML_LOCAL_EMBED_MODEL: 'minilm-static' })).toBe(LOCAL_MODEL); // the files it is made from
    expect(selectedLocalModel({})).toBe(LOCAL_MODEL);
    expect(() => loadRagConfig({ AIML_LOCAL_EMBED_MODEL: 'minilm-statik' })).toThrow(/AIML_LOCAL_EMBED_MODEL=minilm-statik is not a local model; use one of .*minilm-static/);
  });
});
