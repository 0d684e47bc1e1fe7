/**
 * A very small schema kit for messages that enter a workflow. Workflow code runs in Temporal's
 * sandbox and every byte of it is in the workflow bundle, so this stays a few plain functions
 * rather than a general validation library. A schema never throws: it answers `Parsed<T>`.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Checks one value; `at` names where it sits in the payload (e.g. `"by"`, `"limits.maxSteps"`). */
export type Schema<T> = (raw: unknown, at: string) => Parsed<T>;

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** A short, safe description of a value's kind for error messages (never the value itself). */
export function kindOf(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'an array';
  if (typeof raw === 'number') return Number.isFinite(raw) ? 'a number' : 'a non-finite number';
  if (typeof raw === 'string') return 'a string';
  if (typeof raw === 'boolean') return 'a boolean';
  if (typeof raw === 'object') return 'an object';
  return typeof raw;
}

/** A name a sender chose (a field name), cut short and made printable for a reason string. */
export function shown(name: string, max = 40): string {
  const printable = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}

const label = (at: string): string => `"${shown(at, 80)}"`;

export interface StringRules {
  /** Most characters allowed, after trimming. */
  max: number;
  /** Refuse a string that is empty after trimming. */
  nonEmpty?: boolean;
}

/** A string, trimmed; refused when too long (or empty, when `nonEmpty`). */
export function str(rules: StringRules): Schema<string> {
  return (raw, at) => {
    if (typeof raw !== 'string') return fail(`${label(at)} must be a string, got ${kindOf(raw)}`);
    const value = raw.trim();
    if (value.length > rules.max) return fail(`${label(at)} is too long: ${value.length} characters, at most ${rules.max}`);
    if (rules.nonEmpty && !value) return fail(`${label(at)} must not be empty`);
    return ok(value);
  };
}

export interface NumberRules {
  min?: number;
  max?: number;
  int?: boolean;
}

export function num(rules: NumberRules = {}): Schema<number> {
  return (raw, at) => {
    if (typeof raw !== 'number' || !Number.isFinite(raw)) return fail(`${label(at)} must be a finite number, got ${kindOf(raw)}`);
    if (rules.int && !Number.isInteger(raw)) return fail(`${label(at)} must be a whole number, got ${raw}`);
    if (rules.min !== undefined && raw < rules.min) return fail(`${label(at)} must be at least ${rules.min}, got ${raw}`);
    if (rules.max !== undefined && raw > rules.max) return fail(`${label(at)} must be at most ${rules.max}, got ${raw}`);
    return ok(raw);
  };
}

export const bool: Schema<boolean> = (raw, at) => (typeof raw === 'boolean' ? ok(raw) : fail(`${label(at)} must be true or false, got ${kindOf(raw)}`));

/** One of a fixed set of strings (compared exactly, no trimming: these are identifiers). */
export function oneOf<const T extends string>(values: readonly T[]): Schema<T> {
  return (raw, at) =>
    typeof raw === 'string' && (values as readonly string[]).includes(raw)
      ? ok(raw as T)
      : fail(`${label(at)} must be one of ${values.map((v) => `"${v}"`).join(', ')}, got ${typeof raw === 'string' ? `"${shown(raw)}"` : kindOf(raw)}`);
}

/** `null` or the inner schema. */
export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return (raw, at) => (raw === null ? ok(null) : inner(raw, at));
}

/** A list of at most `max` items, each checked. */
export function list<T>(item: Schema<T>, max: number): Schema<T[]> {
  return (raw, at) => {
    if (!Array.isArray(raw)) return fail(`${label(at)} must be a list, got ${kindOf(raw)}`);
    if (raw.length > max) return fail(`${label(at)} has ${raw.length} items, at most ${max}`);
    const out: T[] = [];
    for (let i = 0; i < raw.length; i++) {
      const r = item(raw[i], `${at}[${i}]`);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return ok(out);
  };
}

/** Marks a field as optional: absent (or `undefined`) is allowed, `null` is not. */
export interface Optional<T> {
  optional: true;
  schema: Schema<T>;
}
export const optional = <T>(schema: Schema<T>): Optional<T> => ({ optional: true, schema });

type Field = Schema<unknown> | Optional<unknown>;
type Shape = Record<string, Field>;
type Out<S extends Shape> = { [K in keyof S as S[K] extends Optional<unknown> ? never : K]: S[K] extends Schema<infer T> ? T : never } & {
  [K in keyof S as S[K] extends Optional<unknown> ? K : never]?: S[K] extends Optional<infer T> ? T : never;
};

/** A plain object from any realm (payloads may be decoded in the workflow sandbox's own context). */
function isPlainObject(raw: unknown): raw is Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const proto: unknown = Object.getPrototypeOf(raw);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * An object with exactly these fields: unknown fields are refused (and named), required fields
 * must be there, optional ones may be left out. An optional string field that is empty after
 * trimming counts as left out, unless it is in `keepEmpty`.
 */
export function obj<S extends Shape>(shape: S, opts: { keepEmpty?: (keyof S)[] } = {}): Schema<Out<S>> {
  const known = Object.keys(shape);
  return (raw, at) => {
    const where = at ? `${label(at)}` : 'the payload';
    if (!isPlainObject(raw)) return fail(`${where} must be an object, got ${kindOf(raw)}`);
    const unknown = Object.keys(raw).filter((k) => !Object.prototype.hasOwnProperty.call(shape, k));
    if (unknown.length) {
      const names = unknown.slice(0, 5).map((k) => `"${shown(k)}"`).join(', ');
      return fail(`${where} has unknown field${unknown.length > 1 ? 's' : ''} ${names}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''} (allowed: ${known.join(', ')})`);
    }
    const out: Record<string, unknown> = {};
    for (const key of known) {
      const field = shape[key]!;
      const value = raw[key];
      const path = at ? `${at}.${key}` : key;
      if (typeof field !== 'function') {
        if (value === undefined) continue;
        const r = field.schema(value, path);
        if (!r.ok) return r;
        if (r.value === '' && !opts.keepEmpty?.includes(key)) continue;
        out[key] = r.value;
      } else {
        if (value === undefined) return fail(`${where} is missing the required field "${path}"`);
        const r = field(value, path);
        if (!r.ok) return r;
        out[key] = r.value;
      }
    }
    return ok(out as Out<S>);
  };
}
