/**
 * Text bound for a terminal, made safe: escape sequences (CSI, OSC and the rest) and control
 * characters are removed, so a brief, feedback or model text cannot move the cursor, retitle the
 * window, ring the bell or hide what came before. Newlines and tabs stay.
 */
const ESCAPES = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[PX^_][^\u001b]*(?:\u001b\\)?|[@-Z\\-_])|\u009b[0-?]*[ -/]*[@-~]/g;
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function forTerminal(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(ESCAPES, '').replace(CONTROLS, '');
}
