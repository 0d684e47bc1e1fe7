import { z } from 'zod';
import type { ParseResult } from './types';

/**
 * A tool's argument schema: the JSON schema the model sees and the parser for what it sends,
 * from one zod object. Parse failures are messages the model can act on, never throws.
 */
export function toolArgs<S extends z.ZodType>(schema: S): { parameters: Record<string, unknown>; parse(raw: string): ParseResult<z.infer<S>> } {
  const { $schema: _dropped, ...parameters } = z.toJSONSchema(schema) as Record<string, unknown>;
  return {
    parameters,
    parse(raw: string): ParseResult<z.infer<S>> {
      let value: unknown;
      try {
        value = raw.trim() === '' ? {} : JSON.parse(raw);
      } catch (err) {
        return { ok: false, error: `the arguments are not valid JSON (${(err as Error).message}); send one JSON object` };
      }
      const out = schema.safeParse(value);
      if (out.success) return { ok: true, args: out.data };
      const problems = out.error.issues.slice(0, 8).map((i) => `${i.path.length ? i.path.join('.') : 'arguments'}: ${i.message}`);
      return { ok: false, error: `invalid arguments: ${problems.join('; ')}` };
    },
  };
}

/** Shortens `s` for one-line summaries. */
export function short(s: string, max = 60): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** A whole number as models send it: 12, or "12" (a string, as many open models write numbers). */
const asWhole = (v: unknown): unknown => (typeof v === 'string' && /^\s*\d{1,9}\s*$/.test(v) ? Number(v) : v);

/** A line number from 1. */
export const lineNumber = () => z.preprocess(asWhole, z.number().int().min(1).max(10_000_000));

/**
 * A count with a ceiling (how many hits, how many seconds): a whole number from 1, where one over
 * `max` is taken as `max`. The schema the model sees says `maximum`, but a grammar-constrained
 * model cannot be held to it, and a call refused for asking too much only gets asked again.
 */
export const upTo = (max: number) =>
  z.preprocess((v) => {
    const n = asWhole(v);
    return typeof n === 'number' && Number.isInteger(n) && n > max ? max : n;
  }, z.number().int().min(1).max(max));

/** A yes/no: true or false, or the same as a string. */
export const flag = () => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

export const workspacePath = (what: string): z.ZodString => z.string().min(1).max(1000).describe(what);
