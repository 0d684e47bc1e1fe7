/**
 * Which commands run without a gate. A pattern is an exact command (`npm test`), or a command with
 * `*` standing for further arguments (`npm test*`, `pytest -q *`). A wildcard never lets shell
 * syntax through: a command with `;`, `&`, `|`, redirections, substitutions or a line break
 * matches only a pattern that is exactly that command.
 */

const SHELL_META = /[;&|<>`$(){}\\\n\r]/;

const normalise = (s: string): string => s.trim().replace(/[ \t]+/g, ' ');

function matchesPattern(command: string, pattern: string): boolean {
  const p = normalise(pattern);
  if (!p) return false;
  if (command === p) return true;
  if (!p.includes('*') || SHELL_META.test(command)) return false;
  // A final `*` (`npm test*`, `npm test *`): that command with any further arguments, or none.
  // A `*` elsewhere: one word.
  const parts = p.split('*');
  const esc = (lit: string): string => lit.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  let src = '';
  parts.forEach((lit, i) => {
    const final = i === parts.length - 2 && parts[i + 1] === '';
    if (i === parts.length - 1) src += esc(lit);
    else src += final ? `${esc(lit.trimEnd())}(?: .*)?` : `${esc(lit)}[^ ]*`;
  });
  return new RegExp(`^${src}$`).test(command);
}

export function matchesAllowList(command: string, patterns: readonly string[]): boolean {
  const c = normalise(command);
  if (!c) return false;
  return patterns.some((p) => matchesPattern(c, p));
}
