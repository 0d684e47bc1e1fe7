import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { redactSecrets, scanSecrets } from '../../src/security/secrets';
import { presetRuleIds } from '../../src/security/rule-set';

/**
 * Realistic fakes, built at run time so no key-shaped literal sits in the repository: the right
 * prefix, length and alphabet, with seeded random characters (never a real credential).
 */
let seed = 7;
function chars(n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    out += alphabet[(seed >>> 8) % alphabet.length];
  }
  return out;
}
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const rsaPem = () => crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const ecPem = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();

/** Redacts `before + secret + after` and checks the value is gone, the rest kept, the rule and line named. */
function expectRedacted(secret: string, rule: string | RegExp, opts: { before?: string; after?: string; source?: string } = {}) {
  const before = opts.before ?? 'settings:\n  value: ';
  const after = opts.after ?? '\n  retries: 3\n';
  const { text, redactions } = redactSecrets(before + secret + after, opts.source ?? 'config/settings.yaml');
  expect(text).not.toContain(secret);
  expect(text.startsWith(before.slice(0, 8))).toBe(true);
  expect(text.endsWith(after)).toBe(true);
  expect(redactions).toHaveLength(1);
  expect(redactions[0]!.rule).toMatch(rule);
  expect(redactions[0]!.line).toBe(before.split('\n').length);
  expect(redactions[0]!.source).toBe(opts.source ?? 'config/settings.yaml');
  expect(text).toContain(`[REDACTED: ${redactions[0]!.rule}]`);
}

describe('rule families', () => {
  test('the maintained preset is what runs (secretlint recommended, minus the comment filter)', () => {
    const ids = presetRuleIds();
    for (const family of ['aws', 'gcp', 'privatekey', 'openai', 'anthropic', 'huggingface', 'github', 'gitlab', 'stripe', 'slack']) {
      expect(ids).toContain(`@secretlint/secretlint-rule-${family}`);
    }
    expect(ids).not.toContain('@secretlint/secretlint-rule-filter-comments');
  });

  test('cloud: AWS, GCP, Azure', () => {
    expectRedacted(`AKIA${chars(16, UPPER_DIGITS)}`, 'AWS Access Key ID');
    expectRedacted(`aws_secret_access_key = ${chars(40, B64)}`, 'AWS Secret Access Key', { before: '[default]\n' });
    expectRedacted(`AIza${chars(35)}`, 'Google API key');
    expectRedacted(`GOCSPX-${chars(28)}`, 'Google OAuth client secret');
    const sa = JSON.stringify({ type: 'service_account', private_key_id: chars(40, '0123456789abcdef'), private_key: rsaPem() });
    expectRedacted(sa, /GCP Service Account/, { before: '', after: '', source: 'keys/sa.json' });
    const conn = `DefaultEndpointsProtocol=https;AccountName=mlstore;AccountKey=${chars(86, B64)}==;EndpointSuffix=core.windows.net`;
    const { text, redactions } = redactSecrets(conn, 'azure.txt');
    expect(text).toBe('DefaultEndpointsProtocol=https;AccountName=mlstore;AccountKey=[REDACTED: Azure storage account key];EndpointSuffix=core.windows.net');
    expect(redactions.map((r) => r.rule)).toEqual(['Azure storage account key']);
    expectRedacted(`${chars(3)}8Q~${chars(34)}`, 'Azure AD client secret');
  });

  test('LLM providers: OpenAI (project and legacy), Anthropic, Hugging Face', () => {
    expectRedacted(`sk-proj-${chars(74)}T3BlbkFJ${chars(74)}`, 'OpenAI API key');
    expectRedacted(`sk-proj-${chars(48)}`, 'OpenAI API key');
    expectRedacted(`sk-${chars(48)}`, 'OpenAI API key');
    expectRedacted(`sk-ant-api03-${chars(93)}AA`, 'Anthropic API key');
    expectRedacted(`hf_${chars(34, LETTERS)}`, /Hugging Face/);
  });

  test('VCS: GitHub (classic and fine-grained), GitLab', () => {
    expectRedacted(`ghp_${chars(36)}`, /GitHub Token/);
    expectRedacted(`github_pat_${chars(82)}`, /GitHub Token/);
    expectRedacted(`glpat-${chars(20)}`, 'GitLab Personal Access Token');
    expectRedacted(`gldt-${chars(20)}`, 'GitLab token');
  });

  test('payment: Stripe secret, restricted and webhook keys', () => {
    expectRedacted(`sk_live_${chars(24)}`, 'Stripe Live Secret Key');
    expectRedacted(`rk_test_${chars(24)}`, 'Stripe Test Restricted Key');
    expectRedacted(`whsec_${chars(32)}`, 'Stripe webhook secret');
  });

  test('private keys: whole PEM blocks, JSON-escaped ones, and a block cut short', () => {
    const pem = rsaPem();
    expectRedacted(pem.trimEnd(), 'private key', { before: 'key file:\n' });
    expectRedacted(ecPem().trimEnd(), 'private key', { before: '' });
    const escaped = JSON.stringify(pem).slice(1, -1);
    expectRedacted(escaped, 'private key', { before: '{"key": "', after: '"}' });
    const cut = pem.split('\n').slice(0, 5).join('\n');
    const { text } = redactSecrets(`before\n${cut}`, 'chunk');
    expect(text).toBe('before\n[REDACTED: private key]\n\n\n\n'); // line breaks kept: later line numbers hold
  });

  test('others from the preset: Slack, npm, database URLs with passwords', () => {
    expectRedacted(`xoxb-${chars(11, '0123456789')}-${chars(12, '0123456789')}-${chars(24)}`, /slack token/i);
    expectRedacted(`npm_${chars(36)}`, 'npm access token');
    expectRedacted(`postgres://trainer:${chars(18)}@db.internal:5432/features`, 'PostgreSQL connection string');
  });

  test('high-entropy assignments to *key*, *token*, *secret*, *password* names', () => {
    expectRedacted(chars(32, '0123456789abcdef'), 'hard-coded credential', { before: 'client_token = "', after: '"\n' });
    expectRedacted(chars(40, B64), 'hard-coded credential', { before: '{"signingSecret": "', after: '"}' });
    expectRedacted(chars(24), 'hard-coded credential', { before: 'export WANDB_API_KEY=', after: '\n' });
    expectRedacted('Tr0ub4dor&3x', 'hard-coded credential', { before: 'db:\n  password: "', after: '"\n' });
    expectRedacted('hunter2hunter2', 'hard-coded credential', { before: 'DB_PASSWORD=', after: '\n' });
    // The name stays: a reader learns what was there, not its value.
    expect(redactSecrets(`api_key: "${chars(30)}"`, 'x').text).toBe('api_key: "[REDACTED: hard-coded credential]"');
  });
});

describe('no false positives', () => {
  test('references, placeholders, names and ordinary values are left alone', () => {
    const ordinary = [
      'const apiKey = process.env.OPENAI_API_KEY;',
      'API_KEY="your-api-key-here-xxxxxxxxxx"',
      'password: input.password',
      'token = "${GITHUB_TOKEN}"',
      'secret_key: "{{ vault_secret }}"',
      "tokenizer: 'all-minilm-l6-v2-q-tokenizer.json',",
      "const entry = { key: 'step-1/attempt-1', step: 1 };",
      'maxTokens: 4096,',
      'keyFile: ./certs/client.pem',
      'password = "changeme"',
      'cache_key = "sha256:" + digest',
      'AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX',
      '-----BEGIN PUBLIC KEY-----',
      'postgres://localhost:5432/features',
    ].join('\n');
    expect(scanSecrets(ordinary)).toEqual([]);
    expect(redactSecrets(ordinary, 'x')).toEqual({ text: ordinary, redactions: [] });
  });

  test("this repository's own sources and docs have no findings", () => {
    const root = path.join(__dirname, '../..');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|js|json|md)$/.test(e.name)) files.push(p);
      }
    };
    for (const dir of ['src', 'docs', 'bench']) walk(path.join(root, dir));
    files.push(path.join(root, 'README.md'), path.join(root, 'package.json'), path.join(root, 'package-lock.json'));
    expect(files.length).toBeGreaterThan(50);
    const findings = files.flatMap((f) => scanSecrets(fs.readFileSync(f, 'utf8'), path.relative(root, f)).map((s) => `${path.relative(root, f)}:${s.line} ${s.kind}`));
    expect(findings).toEqual([]);
  });
});
