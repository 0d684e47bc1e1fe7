import type { CliContext } from './context';
import { forTerminal } from './terminal';

/**
 * `aiml watch`'s output: progress lines, and between them the model's text as it streams (raw, no
 * newline added), each progress line starting on a line of its own. Everything passes forTerminal.
 */
export class StreamPrinter {
  private midLine = false;

  constructor(private readonly ctx: CliContext) {}

  text(t: string): void {
    const clean = forTerminal(t);
    if (!clean) return;
    (this.ctx.write ?? ((s: string) => process.stdout.write(s)))(clean);
    this.midLine = !clean.endsWith('\n');
  }

  line(t: string): void {
    if (this.midLine) this.text('\n');
    this.ctx.out(t);
  }
}
