/** Terminal escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL|ESC \`) and other two-byte escapes. */
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)?|\u001b[@-_]/g;
/** C0 controls except tab and newline, DEL, and C1 controls. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text safe to write into a file a person opens in a terminal or editor: terminal escape
 * sequences and control characters (ESC, BEL, NUL, CR, other C0 and C1) are removed; tab and
 * newline stay. Every file aiml renders (SPECS.md, the build report) passes through here.
 */
export function stripControlChars(text: string): string {
  return text.replace(ESCAPES, '').replace(CONTROLS, '');
}
