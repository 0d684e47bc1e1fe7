/**
 * Rules this project adds to secretlint's preset: formats the preset lacks (Azure, Google API
 * keys, OpenAI/Anthropic keys in shapes its stricter patterns miss, truncated private keys) and
 * high-entropy values assigned to names like `*key*`, `*token*`, `*secret*`, `*password*`.
 */
import type { RawFinding } from './rule-set';

interface PatternRule {
  rule: string;
  re: RegExp;
}

const PATTERNS: PatternRule[] = [
  { rule: 'Azure storage account key', re: /(?<=AccountKey=)[A-Za-z0-9+/]{86}==/g },
  { rule: 'Azure shared access key', re: /(?<=SharedAccessKey=)[A-Za-z0-9+/]{42,44}=/g },
  { rule: 'Azure AD client secret', re: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g },
  { rule: 'Google API key', re: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { rule: 'Google OAuth client secret', re: /(?<![A-Za-z0-9_-])GOCSPX-[A-Za-z0-9_-]{28}(?![A-Za-z0-9_-])/g },
  { rule: 'OpenAI API key', re: /(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{32,}|[A-Za-z0-9]{48})(?![A-Za-z0-9_-])/g },
  { rule: 'Anthropic API key', re: /(?<![A-Za-z0-9_-])sk-ant-[a-z]{3,8}\d{2}-[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])/g },
  { rule: 'GitLab token', re: /(?<![A-Za-z0-9_-])gl(?:dt|rt|ptt|ft|imt|oas|cbt|soat)-[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])/g },
  { rule: 'Stripe webhook secret', re: /(?<![A-Za-z0-9_])whsec_[A-Za-z0-9+/]{32,}(?![A-Za-z0-9+/])/g },
  // A private key cut short (a chunk, a truncated log) has no END line for the preset to see.
  {
    rule: 'private key',
    re: /-----BEGIN[A-Z0-9 ]{0,20}PRIVATE KEY(?: BLOCK)?-----(?:(?:\r?\n|\\n)(?:[A-Za-z0-9+/=]+|[A-Za-z-]+: [^\r\n]*))*(?:(?:\r?\n|\\n)?-----END[A-Z0-9 ]{0,20}PRIVATE KEY(?: BLOCK)?-----)?/g,
  },
];

/** `name = "value"`, `"name": "value"`, `NAME=value`, `name: value` where the name suggests a credential. */
const ASSIGNMENT =
  /(?<![A-Za-z0-9_])(["'`]?)([A-Za-z0-9_.-]*(?:key|token|secret|passw(?:or)?d|pwd|credential)[A-Za-z0-9_.-]*)\1[ \t]*(?::=|=>|[:=])[ \t]*(?:(["'`])([^"'`\r\n]{1,512})\3|([^\s"'`,;(){}[\]]{1,512}))/gi;
/** Values that stand for a credential instead of being one. */
const PLACEHOLDER = [
  /^(?:your|example|placeholder|change[_-]?me|dummy|sample|redacted|fake|test)/i,
  /^(?:none|null|nil|undefined|true|false|x+|\*+)$/i,
  /\$\{|\{\{|<[^>]*>|%\(|process\.env|os\.environ|getenv|\[REDACTED|\.\.\.|xxxx|example|placeholder|changeme/i,
];
const PASSWORD_NAME = /passw(?:or)?d|pwd/i;
/** An identifier path or call in code (`input.password`, `this.apiKey`), not a value. */
const CODE_REFERENCE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function looksLikeCredential(name: string, value: string, quoted: boolean): boolean {
  if (PLACEHOLDER.some((re) => re.test(value)) || /\s/.test(value)) return false;
  if (!quoted && CODE_REFERENCE.test(value)) return false;
  const hasDigit = /[0-9]/.test(value);
  const hasLetter = /[A-Za-z]/.test(value);
  if (PASSWORD_NAME.test(name)) {
    if (value.length < 8 || entropy(value) < 2.5) return false;
    // Unquoted (`.env`, YAML): a value with no digit reads as a word or an identifier.
    return quoted || (hasDigit && hasLetter);
  }
  // Names and paths (`all-minilm-l6-v2-tokenizer.json`, `step-1/attempt-1`) are short runs
  // joined by punctuation; keys and tokens have long random runs.
  const longestRun = Math.max(...value.split(/[^A-Za-z0-9]/).map((run) => run.length));
  return value.length >= 16 && longestRun >= 12 && hasDigit && hasLetter && entropy(value) >= 3.0;
}

function scanAssignments(text: string, found: RawFinding[]): void {
  for (const m of text.matchAll(ASSIGNMENT)) {
    const quoted = m[4] !== undefined;
    const value = (quoted ? m[4] : m[5])!;
    if (!looksLikeCredential(m[2]!, value, quoted)) continue;
    const end = m.index + m[0].length - (quoted ? 1 : 0);
    found.push({ rule: 'hard-coded credential', start: end - value.length, end });
  }
}

/** Runs this project's own rules over `text`. */
export function scanWithOwnRules(text: string): RawFinding[] {
  const found: RawFinding[] = [];
  for (const { rule, re } of PATTERNS) {
    for (const m of text.matchAll(re)) found.push({ rule, start: m.index, end: m.index + m[0].length });
  }
  scanAssignments(text, found);
  return found;
}
