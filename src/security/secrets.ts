/**
 * Credential scanner: finds secrets in workspace-derived text and replaces each with a marker
 * that names what was removed. Values never leave this module (findings carry a masked form).
 */
import { scanSecrets, type SecretFinding } from '../workspace/secrets';

/** One credential removed from a text: which rule found it, in which source, on which line. */
export interface Redaction {
  rule: string;
  source: string;
  line: number;
}

export type { SecretFinding };
export { scanSecrets };

/** The marker that stands in for a removed credential. */
export function redactionMarker(rule: string): string {
  return `[REDACTED: ${rule}]`;
}

/**
 * Replaces every credential in `text` with `[REDACTED: <rule>]`. `source` names where the text
 * came from (a workspace path, "command output", …) and is copied into each redaction.
 */
export function redactSecrets(text: string, source: string): { text: string; redactions: Redaction[] } {
  const findings = scanSecrets(text);
  if (findings.length === 0) return { text, redactions: [] };
  // Interim: the legacy scanner reports lines only; the rule-set scanner replaces exact ranges.
  const lines = text.split('\n');
  const redactions: Redaction[] = [];
  for (const f of findings) {
    lines[f.line - 1] = redactionMarker(f.kind);
    redactions.push({ rule: f.kind, source, line: f.line });
  }
  return { text: lines.join('\n'), redactions };
}
