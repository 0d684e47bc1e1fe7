/**
 * Credential scanner for everything that leaves the workspace: secretlint's recommended rule
 * preset (rule-set.ts) plus this project's own rules (own-rules.ts). `redactSecrets` replaces
 * each credential with a marker naming what was removed; `scanSecrets` reports them (used to
 * refuse generated edits). Values never leave this module: findings carry a masked form only.
 */
import type { Redaction } from '../contracts/security';
import { scanWithOwnRules } from './own-rules';
import { scanWithPreset, type RawFinding } from './rule-set';

export type { Redaction };

/** A credential found in a text, safe to show and log. */
export interface SecretFinding {
  kind: string;
  line: number;
  /** The match with its middle masked. */
  redacted: string;
}

/** The preset's names for formats this project's own rules also know, made one name each. */
const SAME_FORMAT: Record<string, string> = {
  'OpenAI API token': 'OpenAI API key',
  'Anthropic Claude API key': 'Anthropic API key',
};

/** The marker that stands in for a removed credential. */
export function redactionMarker(rule: string): string {
  return `[REDACTED: ${rule}]`;
}

/** `AKIAXXXXXXXXXXXXXXXX`, `sk-000…`: a placeholder in a real format has almost no distinct characters. */
function isFiller(value: string): boolean {
  return new Set(value).size < 6;
}

/** All findings, overlapping ones merged (the earliest, then the longest, names the merge). */
function findAll(text: string, name: string): RawFinding[] {
  const raw = [...scanWithPreset(text, name), ...scanWithOwnRules(text)]
    .filter((f) => !isFiller(text.slice(f.start, f.end)))
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: RawFinding[] = [];
  for (const f of raw) {
    const last = merged[merged.length - 1];
    if (last && f.start < last.end) last.end = Math.max(last.end, f.end);
    else merged.push({ rule: SAME_FORMAT[f.rule] ?? f.rule, start: f.start, end: f.end });
  }
  return merged;
}

/** 1-based line numbers for ascending offsets, in one pass over the text. */
function linesOf(text: string, offsets: number[]): number[] {
  const lines: number[] = [];
  let line = 1;
  let at = 0;
  for (const offset of offsets) {
    for (; at < offset; at++) if (text.charCodeAt(at) === 10) line++;
    lines.push(line);
  }
  return lines;
}

function mask(s: string): string {
  return s.length <= 12 ? '***' : `${s.slice(0, 4)}…${s.slice(-2)} (${s.length} chars)`;
}

/** Credentials in `text`, each with its line and a masked form. `name` helps file-aware rules. */
export function scanSecrets(text: string, name = ''): SecretFinding[] {
  const found = findAll(text, name);
  const lines = linesOf(text, found.map((f) => f.start));
  return found.map((f, i) => ({ kind: f.rule, line: lines[i]!, redacted: mask(text.slice(f.start, f.end)) }));
}

/**
 * Replaces every credential in `text` with `[REDACTED: <rule>]` (keeping its line breaks). `source` names where the text
 * came from (a workspace path, "command output", …); it is copied into each redaction and lets
 * file-aware rules (package.json, .npmrc, service-account JSON) see the file name.
 */
export function redactSecrets(text: string, source: string): { text: string; redactions: Redaction[] } {
  const found = findAll(text, source);
  if (found.length === 0) return { text, redactions: [] };
  const lines = linesOf(text, found.map((f) => f.start));
  const parts: string[] = [];
  let at = 0;
  for (const f of found) {
    // The removed span's line breaks stay, so line numbers after it still hold.
    const breaks = text.slice(f.start, f.end).replace(/[^\n]/g, '');
    parts.push(text.slice(at, f.start), redactionMarker(f.rule), breaks);
    at = f.end;
  }
  parts.push(text.slice(at));
  return { text: parts.join(''), redactions: found.map((f, i) => ({ rule: f.rule, source, line: lines[i]! })) };
}
