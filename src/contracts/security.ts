/** What the history and run state record about removed credentials: rules and places, never values. */

/** One credential removed from a text: which rule found it, in which source, on which line. */
export interface Redaction {
  rule: string;
  source: string;
  line: number;
}

/** Redactions of one activity, small enough for history: a count per rule and the first few places. */
export interface RedactionSummary {
  count: number;
  byRule: Record<string, number>;
  /** The first `REDACTION_ITEMS_KEPT` redactions; `count` says how many there were. */
  items: Redaction[];
}

export const REDACTION_ITEMS_KEPT = 20;

/** Sums redactions into a summary; undefined when there were none (keeps results unchanged). */
export function summarizeRedactions(redactions: Redaction[], previous?: RedactionSummary): RedactionSummary | undefined {
  if (redactions.length === 0) return previous;
  const out: RedactionSummary = previous ? { count: previous.count, byRule: { ...previous.byRule }, items: [...previous.items] } : { count: 0, byRule: {}, items: [] };
  for (const r of redactions) {
    out.count += 1;
    out.byRule[r.rule] = (out.byRule[r.rule] ?? 0) + 1;
    if (out.items.length < REDACTION_ITEMS_KEPT) out.items.push({ rule: r.rule, source: r.source, line: r.line });
  }
  return out;
}

/** Two summaries as one (either may be absent). */
export function mergeRedactionSummaries(a: RedactionSummary | undefined, b: RedactionSummary | undefined): RedactionSummary | undefined {
  if (!a || !b) return a ?? b;
  const byRule = { ...a.byRule };
  for (const [rule, n] of Object.entries(b.byRule)) byRule[rule] = (byRule[rule] ?? 0) + n;
  return { count: a.count + b.count, byRule, items: [...a.items, ...b.items].slice(0, REDACTION_ITEMS_KEPT) };
}
