/** Finds credentials in generated text before it is written. Values are never echoed in full. */

export interface SecretFinding {
  kind: string;
  line: number;
  /** The match with its middle masked, safe to show and log. */
  redacted: string;
}

const PATTERNS: { kind: string; re: RegExp }[] = [
  { kind: 'private key', re: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/g },
  { kind: 'Anthropic API key', re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { kind: 'OpenAI API key', re: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}/g },
  { kind: 'AWS access key id', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'GitHub token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})/g },
  { kind: 'Slack token', re: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g },
  { kind: 'Google API key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: 'Stripe secret key', re: /\b(?:sk|rk)_live_[0-9A-Za-z]{20,}/g },
  { kind: 'Hugging Face token', re: /\bhf_[A-Za-z0-9]{30,}\b/g },
];

/** `api_key = "…"`-style assignments of a long random-looking literal. */
const ASSIGNMENT = /\b([A-Za-z_]*(?:api[_-]?key|secret|token|password|passwd)[A-Za-z_]*)["']?\s*[:=]\s*["']([A-Za-z0-9_\-+/=.]{20,})["']/gi;
const PLACEHOLDER = /(your|example|placeholder|changeme|dummy|xxxx|\.\.\.|<|test|fake|sample|redacted|process\.env|os\.environ)/i;

function redact(s: string): string {
  return s.length <= 10 ? '***' : `${s.slice(0, 6)}…${s.slice(-2)} (${s.length} chars)`;
}

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

function looksRandom(s: string): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(s)).length;
  return classes >= 2 && new Set(s).size >= 10;
}

export function scanSecrets(text: string): SecretFinding[] {
  const found: SecretFinding[] = [];
  for (const { kind, re } of PATTERNS) {
    for (const m of text.matchAll(re)) found.push({ kind, line: lineOf(text, m.index), redacted: redact(m[0]) });
  }
  for (const m of text.matchAll(ASSIGNMENT)) {
    const value = m[2]!;
    if (PLACEHOLDER.test(value) || !looksRandom(value)) continue;
    if (found.some((f) => f.line === lineOf(text, m.index))) continue;
    found.push({ kind: `hard-coded credential (${m[1]})`, line: lineOf(text, m.index), redacted: redact(value) });
  }
  return found.sort((a, b) => a.line - b.line);
}
