/** Every payload's data size in a decoded history (any object with metadata + data bytes). */
export function payloadSizes(node: unknown, out: number[] = []): number[] {
  if (!node || typeof node !== 'object') return out;
  if (node instanceof Uint8Array) return out;
  const o = node as Record<string, unknown>;
  if (o.data instanceof Uint8Array && o.metadata && typeof o.metadata === 'object') {
    out.push(o.data.length);
    return out;
  }
  for (const v of Object.values(o)) payloadSizes(v, out);
  return out;
}
