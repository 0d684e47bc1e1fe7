/**
 * Runs secretlint's recommended preset (@secretlint/secretlint-rule-preset-recommend, MIT) over a
 * string, synchronously and offline. secretlint's own engine is async and file-oriented; its
 * rules are plain objects whose `file(source)` handler reports character ranges, so this module
 * drives them directly with a minimal context. Only the rule id and a label leave this module,
 * never the reported message (it quotes the secret).
 */
import { creator as recommendedPreset } from '@secretlint/secretlint-rule-preset-recommend';

/** A credential's position in the scanned text, end exclusive. */
export interface RawFinding {
  rule: string;
  start: number;
  end: number;
}

/** The slice of secretlint's rule contract this adapter relies on. */
interface LocalizedMessage {
  en(props?: Record<string, unknown>): string;
}
interface ReportDescriptor {
  message: { messageId: string };
  range: readonly [number, number];
}
interface RuleContext {
  sharedOptions: Record<string, unknown>;
  createTranslator(messages: Record<string, LocalizedMessage>): (id: string, props?: unknown) => { message: string; messageId: string; data: unknown };
  report(descriptor: ReportDescriptor): void;
  ignore(descriptor: unknown): void;
}
interface SourceCode {
  hasBOM: boolean;
  content: string;
  filePath: string | undefined;
  physicalFilePath: string | undefined;
  contentType: 'text';
  ext: string;
  getFilePath(): string | undefined;
  getPhysicalFilePath(): string | undefined;
}
interface RuleCreator {
  messages: Record<string, LocalizedMessage>;
  meta: { id: string; type: string };
  create(context: RuleContext, options: Record<string, unknown>): { file?(source: SourceCode): unknown };
}

/** Rules that hide findings instead of making them (inline `secretlint-disable` comments). */
const FILTER_RULES = new Set(['@secretlint/secretlint-rule-filter-comments']);
/** Per-rule options: AWS access key ids are reported too (off by default in secretlint). */
const RULE_OPTIONS: Record<string, Record<string, unknown>> = {
  '@secretlint/secretlint-rule-aws': { enableIDScanRule: true },
};

/** "found AWS Secret Access Key: …" → "AWS Secret Access Key". */
function labelOf(message: LocalizedMessage, messageId: string): string {
  let text: string;
  try {
    text = message.en({});
  } catch {
    return messageId;
  }
  const label = text.replace(/^found\s+/i, '').split(':')[0]!.replace(/\((?:undefined)?\)/g, '').trim();
  return label || messageId;
}

interface LoadedRule {
  id: string;
  labels: Map<string, string>;
  create(report: (d: ReportDescriptor) => void): { file?(source: SourceCode): unknown };
}

function load(creator: RuleCreator): LoadedRule {
  const labels = new Map(Object.entries(creator.messages).map(([id, m]) => [id, labelOf(m, id)]));
  return {
    id: creator.meta.id,
    labels,
    create(report) {
      const context: RuleContext = {
        sharedOptions: {},
        // The message text would quote the secret: keep only its id.
        createTranslator: () => (messageId) => ({ message: '', messageId, data: undefined }),
        report,
        ignore: () => undefined,
      };
      return creator.create(context, RULE_OPTIONS[creator.meta.id] ?? {});
    },
  };
}

const RULES: LoadedRule[] = (recommendedPreset as unknown as { rules: RuleCreator[] }).rules
  .filter((r) => r.meta.type === 'scanner' && !FILTER_RULES.has(r.meta.id))
  .map(load);

/** The rule ids this adapter runs (for documentation and tests). */
export function presetRuleIds(): string[] {
  return RULES.map((r) => r.id);
}

/** Some rules look at the file name (package.json, .npmrc, *.json); binary formats are never read. */
function extOf(name: string): string {
  const m = /\.[A-Za-z0-9]+$/.exec(name);
  const ext = m ? m[0].toLowerCase() : '';
  return ext === '.p12' || ext === '.pfx' ? '' : ext;
}

/** Runs every preset rule over `text`. `name` is a file path when there is one. */
export function scanWithPreset(text: string, name: string): RawFinding[] {
  const source: SourceCode = {
    hasBOM: text.charCodeAt(0) === 0xfeff,
    content: text,
    filePath: name,
    physicalFilePath: undefined,
    contentType: 'text',
    ext: extOf(name),
    getFilePath: () => name,
    getPhysicalFilePath: () => undefined,
  };
  const found: RawFinding[] = [];
  for (const rule of RULES) {
    const handler = rule.create(({ message, range }) => {
      const [start, end] = range;
      if (end > start) found.push({ rule: rule.labels.get(message.messageId) ?? rule.id, start, end });
    });
    const pending = handler.file?.(source);
    // Every text rule reports synchronously; an async branch (binary key stores) is never taken
    // for text, and a stray promise must not surface as an unhandled rejection.
    if (pending instanceof Promise) pending.catch(() => undefined);
  }
  return found;
}
