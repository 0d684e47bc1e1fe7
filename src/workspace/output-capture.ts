/**
 * Collects a process's output within a fixed size: the first part and the last part are kept,
 * the middle is counted and replaced by a marker. Memory stays bounded however much is printed.
 */
export class OutputCapture {
  private readonly headMax: number;
  private readonly tailMax: number;
  private head: Buffer[] = [];
  private headSize = 0;
  private tail: Buffer[] = [];
  private tailSize = 0;
  bytes = 0;

  constructor(maxBytes: number) {
    this.headMax = Math.floor(maxBytes * 0.3);
    this.tailMax = maxBytes - this.headMax;
  }

  get truncated(): boolean {
    return this.bytes > this.headMax + this.tailMax;
  }

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.headSize < this.headMax) {
      const take = chunk.subarray(0, this.headMax - this.headSize);
      this.head.push(take);
      this.headSize += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailSize += chunk.length;
    while (this.tailSize - this.tail[0]!.length >= this.tailMax) this.tailSize -= this.tail.shift()!.length;
  }

  text(): string {
    const head = Buffer.concat(this.head);
    let tail = Buffer.concat(this.tail);
    if (!this.truncated) return Buffer.concat([head, tail]).toString('utf8');
    tail = tail.subarray(tail.length - this.tailMax);
    let start = 0;
    while (start < tail.length && (tail[start]! & 0xc0) === 0x80) start++; // no half character at the cut
    const cut = this.bytes - head.length - (tail.length - start);
    return `${head.toString('utf8')}\n… [${cut} bytes cut] …\n${tail.subarray(start).toString('utf8')}`;
  }
}
