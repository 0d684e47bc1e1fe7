import fs from 'node:fs';
import path from 'node:path';
import { stepContext } from '../../src/builder/retrieve';
import { CONTEXT_LIMITS, gatherWorkspaceContext, renderContext } from '../../src/design/context';
import { BlobStore } from '../../src/storage/blob-store';
import { runCheck } from '../../src/workspace/check';
import { tmpDir } from '../support/env';

/** A realistic-looking GitHub token, built at run time (never a real one). */
const token = `ghp_${'Zq8Xw2Ld5Rk9Tb4Nm7Vc1Hs6Jf3Gy0Pa2Ue5'.slice(0, 36)}`;
const stripe = `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc9Xz'.slice(0, 24)}`;

test('the blob store keeps no credential in text blobs, keeps JSON parseable, and stores file snapshots exactly', () => {
  const blobs = new BlobStore(tmpDir('aiml-blobs-'));
  const plain = blobs.get(blobs.put(`token: ${token}\nnext line\n`));
  expect(plain).toBe('token: [REDACTED: GitHub Token]\nnext line\n');
  const json = JSON.parse(blobs.get(blobs.put(JSON.stringify({ steps: [{ note: `use ${stripe}` }] })))) as { steps: { note: string }[] };
  expect(json.steps[0]!.note).toBe('use [REDACTED: Stripe Live Secret Key]');
  const snapshot = `const key = "${stripe}";\n`;
  expect(blobs.get(blobs.putExact(snapshot))).toBe(snapshot);
});

test('check command output is redacted before anyone sees it', async () => {
  const res = await runCheck({ workspace: tmpDir(), command: `echo "deploying with ${token}"; echo fine >&2`, timeoutMs: 20_000 });
  expect(res.output).toBe('deploying with [REDACTED: GitHub Token]\nfine\n');
  expect(res.redactions).toEqual([{ rule: 'GitHub Token', source: 'check command output', line: 1 }]);
});

test('design context and BUILD step context show markers, name what was removed, and keep to their limits', () => {
  const ws = tmpDir('aiml-ctx-');
  fs.mkdirSync(path.join(ws, 'src'));
  // The key straddles the excerpt's end: it is read whole and removed, not cut in half and kept.
  const filler = `# payments settings\n${'x'.repeat(CONTEXT_LIMITS.excerptBytes - 30)}\n`;
  fs.writeFileSync(path.join(ws, 'src/payments.yaml'), `${filler}stripe: ${stripe}\n`);
  const files = gatherWorkspaceContext(ws, 'payments settings stripe');
  expect(files[0]!.excerpt).not.toContain(stripe.slice(0, 12));
  expect(files[0]!.excerpt.length).toBeLessThanOrEqual(CONTEXT_LIMITS.excerptBytes);
  expect(files[0]!.redactions).toEqual([{ rule: 'Stripe Live Secret Key', source: 'src/payments.yaml', line: 3 }]);
  expect(renderContext({ files, kb: [] }, 100)).toMatch(/\[context cut at 100 characters\]$/);

  const plan = { title: 't', steps: [{ title: 'wire payments', description: 'read stripe settings', files: [{ path: 'src/payments.yaml', action: 'modify' }] }] };
  const ctx = stepContext(ws, plan as never, 1, [], [{ path: 'kb/notes.md', score: 1, text: 'no key here', redactions: [] }]);
  expect(ctx.text).toContain('stripe: [REDACTED: Stripe Live Secret Key]');
  expect(ctx.text).not.toContain(stripe);
  expect(ctx.redactions).toEqual([{ rule: 'Stripe Live Secret Key', source: 'src/payments.yaml', line: 3 }]);
});
