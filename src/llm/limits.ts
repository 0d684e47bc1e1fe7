/**
 * The size limits of a JSON schema (maxLength, maxItems), in words for the prompt: a model that
 * knows the limits writes within them, and grammar-constrained servers stop at them anyway.
 * Fields that share a name and a limit are said once.
 */
export function describeLimits(schema: unknown): string[] {
  const lines = new Set<string>();
  const walk = (node: unknown, name: string): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, name));
    if (typeof node !== 'object' || node === null) return;
    const s = node as Record<string, unknown>;
    if (typeof s.maxLength === 'number') lines.add(`${name}: at most ${s.maxLength} characters`);
    if (typeof s.maxItems === 'number') lines.add(`${name}: at most ${s.maxItems} items`);
    for (const [key, value] of Object.entries(s)) {
      if (key === 'properties' && typeof value === 'object' && value !== null) {
        for (const [prop, sub] of Object.entries(value)) walk(sub, prop);
      } else if (key === 'items') walk(value, `each of ${name}`);
      else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') walk(value, name);
      else if (key === '$defs' || key === 'definitions') Object.values(value as object).forEach((d) => walk(d, name));
    }
  };
  walk(schema, 'the answer');
  return [...lines];
}

/** The sentence added to a structured request's system prompt. Empty when the schema sets no limits. */
export function limitsInstruction(schema: unknown, maxTokens: number | undefined): string {
  const lines = describeLimits(schema);
  if (!lines.length && !maxTokens) return '';
  const budget = maxTokens ? ` The whole answer must fit in ${maxTokens} tokens: be concise.` : '';
  return `Size limits (an answer over them is refused):${budget}${lines.length ? `\n- ${lines.join('\n- ')}` : ''}`;
}

/** Every string without maxLength and every array without maxItems in a JSON schema, by path (empty when all are bounded). */
export function unboundedParts(schema: unknown, path = '$'): string[] {
  if (Array.isArray(schema)) return schema.flatMap((s, i) => unboundedParts(s, `${path}[${i}]`));
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Record<string, unknown>;
  const found: string[] = [];
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes('string') && typeof s.maxLength !== 'number' && !Array.isArray(s.enum) && s.const === undefined) found.push(`${path}: string without maxLength`);
  if (types.includes('array') && typeof s.maxItems !== 'number') found.push(`${path}: array without maxItems`);
  for (const [key, value] of Object.entries(s)) {
    if (key === 'properties' || key === '$defs' || key === 'definitions') {
      for (const [prop, sub] of Object.entries(value as object)) found.push(...unboundedParts(sub, `${path}.${prop}`));
    } else if (key === 'items' || key === 'anyOf' || key === 'oneOf' || key === 'allOf' || key === 'additionalProperties') {
      found.push(...unboundedParts(value, `${path}.${key}`));
    }
  }
  return found;
}
