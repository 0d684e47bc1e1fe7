import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DESIGN_GATE, stateQuery, approveSignal } from '../../src/contracts';
import { loadTemporalConfig } from '../../src/config';
import { AesGcmCodec, ENCRYPTED_ENCODING, parseCodecKeys } from '../../src/temporal/codec';
import { startCodecServer } from '../../src/temporal/codec-server';
import { dataConverterFor } from '../../src/temporal/connection';
import { listRuns } from '../../src/client/run-view';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes';
import { draftReply } from '../support/fixtures';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm';
import { startWorker, temporalAddress, tmpDir, uniqueId, waitFor, type TestWorker } from '../support/env';

const key = (): string => crypto.randomBytes(32).toString('base64');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const plainPayload = (s: string) => ({ metadata: { encoding: enc('json/plain') }, data: enc(JSON.stringify(s)) });

describe('payload codec (AES-256-GCM)', () => {
  test('round trip; a rotated-in key encrypts, the old one still decrypts', async () => {
    const k1 = key();
    const old = new AesGcmCodec(parseCodecKeys(`k1:${k1}`));
    const rotated = new AesGcmCodec(parseCodecKeys(`k2:${key()},k1:${k1}`));
    const [sealed] = await old.encode([plainPayload('secret brief')]);
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toContain('secret brief');
    expect(new TextDecoder().decode(sealed!.metadata!['encryption-key-id'])).toBe('k1');
    const [opened] = await rotated.decode([sealed!]);
    expect(JSON.parse(new TextDecoder().decode(opened!.data!))).toBe('secret brief');
    const [resealed] = await rotated.encode([opened!]);
    expect(new TextDecoder().decode(resealed!.metadata!['encryption-key-id'])).toBe('k2');
    await expect(old.decode([resealed!])).rejects.toThrow(/key "k2".*not among/);
  });

  test('a tampered payload fails authentication; unencrypted payloads pass through', async () => {
    const codec = new AesGcmCodec(parseCodecKeys(`k1:${key()}`));
    const [sealed] = await codec.encode([plainPayload('x')]);
    const data = Buffer.from(sealed!.data!);
    data[20] = data[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data }])).rejects.toThrow(/failed authentication/);
    const plain = plainPayload('legacy');
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  test.each([
    ['k1:dG9vIHNob3J0', /is 9 bytes; AES-256 needs 32/],
    ['nokey', /"id:base64key"/],
    [`a:${Buffer.alloc(32).toString('base64')},a:${Buffer.alloc(32).toString('base64')}`, /appears twice/],
  ])('bad AIML_ENCRYPTION_KEYS %s is refused naming the variable, without key material', (value, message) => {
    expect(() => loadTemporalConfig({ AIML_ENCRYPTION_KEYS: value })).toThrow(message);
    expect(() => loadTemporalConfig({ AIML_ENCRYPTION_KEYS: value })).toThrow(/AIML_ENCRYPTION_KEYS/);
  });
});

describe('an encrypted run on the dev server', () => {
  const canary = `ZEBRA-CANARY-${crypto.randomBytes(6).toString('hex')}`;
  const keys = `k1:${key()}`;
  const config = { ...loadTemporalConfig({ AIML_ENCRYPTION_KEYS: keys }), address: '' };
  let llm: ScriptedLlm;
  let worker: TestWorker;
  let connection: Connection;
  let secure: Client;
  let raw: Client;

  // Its own namespace: other tests list runs without the key.
  const namespace = 'aiml-isolated';
  beforeAll(async () => {
    llm = await startScriptedLlm();
    connection = await Connection.connect({ address: temporalAddress() });
    const V = temporal.api.enums.v1.IndexedValueType;
    const kind: Record<string, number> = { KEYWORD: V.INDEXED_VALUE_TYPE_KEYWORD, BOOL: V.INDEXED_VALUE_TYPE_BOOL, INT: V.INDEXED_VALUE_TYPE_INT };
    await connection.operatorService
      .addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, kind[k.type]!])) })
      .catch((err: Error) => {
        if (!/already exists/i.test(err.message)) throw err;
      });
    worker = await startWorker({ llmUrl: llm.url, dataConverter: dataConverterFor(config), namespace });
    secure = new Client({ connection, namespace, dataConverter: dataConverterFor(config) });
    raw = new Client({ connection, namespace });
  });
  afterAll(async () => {
    await worker?.stop();
    await connection?.close();
    await llm?.close();
  });

  test('the raw history holds nothing readable of the brief or the draft; the codec server decodes it only with the key', async () => {
    llm.enqueue(draftReply(canary));
    const workflowId = uniqueId('design-enc');
    const handle = await secure.workflow.start('design', {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ brief: `Assistant for ${canary}`, workspace: tmpDir() }],
    });
    await waitFor(async () => ((await handle.query(stateQuery)).pendingGate === DESIGN_GATE ? true : undefined), 'the design gate');
    await handle.signal(approveSignal, { by: 'ana', comment: `ok ${canary}` });
    const result = await handle.result();

    const history = await raw.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId } });
    const bytes = Buffer.from(JSON.stringify(history.history)).toString('latin1');
    const rawText = JSON.stringify(temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.create(history.history!), { bytes: String }));
    expect(rawText.includes(Buffer.from(ENCRYPTED_ENCODING).toString('base64'))).toBe(true);
    expect(rawText.includes(canary)).toBe(false);
    expect(bytes.includes(canary)).toBe(false);
    // The client that holds the key reads the result...
    expect(JSON.stringify(result)).toContain(canary);

    // Listing without the key says what is missing, instead of failing obscurely.
    await expect(listRuns(raw, {})).rejects.toThrow(/encrypted .*AIML_ENCRYPTION_KEYS/);

    // ...and so does the codec server, for the UI.
    const started = history.history!.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    const body = JSON.stringify({
      payloads: started.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        data: Buffer.from(p.data!).toString('base64'),
      })),
    });
    const holder = await startCodecServer({ codec: new AesGcmCodec(parseCodecKeys(keys)), port: 0, token: 'tok-123' });
    const stranger = await startCodecServer({ codec: new AesGcmCodec(parseCodecKeys(`k9:${key()}`)), port: 0 });
    try {
      const ok = await fetch(`${holder.url}/decode`, { method: 'POST', body, headers: { authorization: 'Bearer tok-123', 'x-namespace': 'default' } });
      expect(ok.status).toBe(200);
      const out = (await ok.json()) as { payloads: { data: string }[] };
      expect(Buffer.from(out.payloads[0]!.data, 'base64').toString()).toContain(canary);

      const noToken = await fetch(`${holder.url}/decode`, { method: 'POST', body });
      expect(noToken.status).toBe(401);
      const wrongKey = await fetch(`${stranger.url}/decode`, { method: 'POST', body });
      expect(wrongKey.status).toBe(400);
      const refusal = JSON.stringify(await wrongKey.json());
      expect(refusal).toMatch(/key \\"k1\\"/);
      expect(refusal).not.toContain(canary);
    } finally {
      await holder.close();
      await stranger.close();
    }
  });
});

test('aiml dev points the UI at the codec server when AIML_CODEC_ENDPOINT is set', async () => {
  const { loadDevServerConfig } = await import('../../src/config');
  const { planDevServer } = await import('../../src/temporal/dev-server');
  const plan = planDevServer('temporal', loadDevServerConfig({ AIML_CODEC_ENDPOINT: 'http://127.0.0.1:8888' }));
  expect(plan.args.join(' ')).toContain('--ui-codec-endpoint http://127.0.0.1:8888');
  expect(planDevServer('temporal', loadDevServerConfig({})).args).not.toContain('--ui-codec-endpoint');
  expect(() => loadDevServerConfig({ AIML_CODEC_ENDPOINT: 'not a url' })).toThrow(/AIML_CODEC_ENDPOINT/);
});
