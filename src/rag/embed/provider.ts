/**
 * Turns texts into unit-length vectors. `id` names the model (and where it runs) so a knowledge
 * base built with one model is never searched or extended with another.
 */
export interface EmbeddingProvider {
  readonly id: string;
  readonly dims: number;
  /** What a cached vector depends on, where that is more than `id` (the local model's token window). */
  readonly cacheKey?: string;
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
  /** False while a first `embed` would install or prepare the model before answering (absent: it would not). */
  installed?(): boolean;
}

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return v;
}
