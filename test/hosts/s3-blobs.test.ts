import fs from 'node:fs';
import path from 'node:path';
import { loadBlobConfig } from '../../src/config-hosts';
import { blobStoreFor } from '../../src/storage/open-blob-store';
import { sha256 } from '../../src/storage/blob-store';
import { tmpDir } from '../support/env';
import { startS3Server, type S3Server } from '../support/s3-server';

/** The blob store against a real S3-compatible server: two hosts' copies share one bucket. */
describe('shared blob store (S3-compatible)', () => {
  let s3: S3Server;
  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(() => s3?.close());

  test('what one host writes and flushes, another reads by reference, nested references too', async () => {
    const a = blobStoreFor(tmpDir(), loadBlobConfig(s3.env));
    const b = blobStoreFor(tmpDir(), loadBlobConfig(s3.env));
    const file = a.putExact(Buffer.from([0, 1, 2, 255]));
    const proposal = a.put(JSON.stringify({ files: [{ afterRef: file }] }));
    expect(await a.flush()).toBe(2);
    expect(b.has(proposal)).toBe(false);
    await b.fetch([proposal]);
    expect(JSON.parse(b.get(proposal))).toEqual({ files: [{ afterRef: file }] });
    // The snapshot it refers to came along, byte for byte.
    expect(b.getBuffer(file)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await b.flush()).toBe(0);
  });

  test('a copy that does not match its hash, a missing blob and wrong credentials fail clearly', async () => {
    const a = blobStoreFor(tmpDir(), loadBlobConfig(s3.env));
    const ref = a.put('honest text');
    await a.flush();
    const fake = `sha256:${sha256('never stored')}`;
    await expect(blobStoreFor(tmpDir(), loadBlobConfig(s3.env)).fetch([fake])).rejects.toMatchObject({ code: 'BLOB_MISSING', message: expect.stringContaining(s3.url) });
    // Tamper with the server's copy: the reader refuses it.
    const stored = findFile(s3.directory, ref.slice(7));
    fs.writeFileSync(stored, 'HONEST TEXT'); // same length: the server serves it as it is
    await expect(blobStoreFor(tmpDir(), loadBlobConfig(s3.env)).fetch([ref])).rejects.toMatchObject({ code: 'BLOB_MISSING', message: expect.stringContaining('does not match its hash') });
    const wrong = blobStoreFor(tmpDir(), loadBlobConfig({ ...s3.env, AWS_ACCESS_KEY_ID: 'not-our-key-id' }));
    wrong.put('x');
    const err = (await wrong.flush().catch((e: unknown) => e)) as { code: string; message: string };
    expect(err).toMatchObject({ code: 'BLOB_STORE_REFUSED', message: expect.stringMatching(/403 InvalidAccessKeyId/) });
    expect(err.message).not.toMatch(/not-our-key-id|S3RVER/);
  });

  test('configuration names what is missing', () => {
    expect(() => loadBlobConfig({ AIML_BLOB_STORE: 's3', AIML_S3_ENDPOINT: s3.url })).toThrow(/AIML_S3_BUCKET/);
    expect(() => loadBlobConfig({ ...s3.env, AWS_ACCESS_KEY_ID: '' })).toThrow(/AWS_ACCESS_KEY_ID/);
    expect(() => loadBlobConfig({ AIML_BLOB_STORE: 'ftp' })).toThrow(/AIML_BLOB_STORE/);
    expect(loadBlobConfig({})).toEqual({ kind: 'local' });
  });
});

function findFile(root: string, name: string): string {
  for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    if (entry.isFile() && full.includes(name) && full.endsWith('_S3rver_object')) return full;
  }
  throw new Error(`no stored file for ${name} under ${root}`);
}
