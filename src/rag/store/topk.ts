import type { ScoredId } from '../types';

/** The k best (slot, score) pairs seen so far, kept in a min-heap on score. */
export class TopK {
  private readonly slots: Int32Array;
  private readonly scores: Float32Array;
  size = 0;

  constructor(readonly k: number) {
    this.slots = new Int32Array(k);
    this.scores = new Float32Array(k);
  }

  /** The score a candidate must beat to enter. */
  get floor(): number {
    return this.size < this.k ? -Infinity : this.scores[0]!;
  }

  push(slot: number, score: number): void {
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (this.scores[parent]! <= score) break;
        this.scores[i] = this.scores[parent]!;
        this.slots[i] = this.slots[parent]!;
        i = parent;
      }
      this.scores[i] = score;
      this.slots[i] = slot;
    } else if (score > this.scores[0]!) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= this.k) break;
        const r = l + 1;
        const c = r < this.k && this.scores[r]! < this.scores[l]! ? r : l;
        if (this.scores[c]! >= score) break;
        this.scores[i] = this.scores[c]!;
        this.slots[i] = this.slots[c]!;
        i = c;
      }
      this.scores[i] = score;
      this.slots[i] = slot;
    }
  }

  /** The slots held, in heap order. */
  slotsHeld(): Int32Array {
    return this.slots.subarray(0, this.size);
  }

  sorted(idOf: (slot: number) => string): ScoredId[] {
    const out: ScoredId[] = [];
    for (let i = 0; i < this.size; i++) out.push({ id: idOf(this.slots[i]!), score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  }
}
