/**
 * `.gitignore` rules: comments, `!` negation, trailing `/` for folders only, patterns with a
 * slash anchored to the folder of their file, `*`, `?`, `[…]` and `**`. The last matching rule wins.
 */
export interface IgnoreRule {
  base: string; // folder of the .gitignore, relative to the walk root ('' for the root)
  regex: RegExp;
  negate: boolean;
  dirOnly: boolean;
}

function globToRegex(glob: string): string {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slashAfter = glob[i + 2] === '/';
        re += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < glob.length) re += `\\${glob[++i]}`;
    else re += /[.+^${}()|/]/.test(c) ? `\\${c}` : c;
  }
  return re;
}

export function parseGitignore(text: string, base = ''): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (let line of text.split(/\r?\n/)) {
    if (!line.trim() || line.startsWith('#')) continue;
    line = line.replace(/(?<!\\)\s+$/, '');
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    if (!line) continue;
    const body = globToRegex(line);
    const regex = new RegExp(anchored ? `^${body}(?:/.*)?$` : `(?:^|/)${body}(?:/.*)?$`);
    rules.push({ base, regex, negate, dirOnly });
  }
  return rules;
}

/** Whether `rel` (relative to the walk root, `/`-separated) is ignored by `rules`. */
export function isIgnored(rules: IgnoreRule[], rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const r of rules) {
    if (r.base && !rel.startsWith(`${r.base}/`)) continue;
    if (r.dirOnly && !isDir) continue;
    const local = r.base ? rel.slice(r.base.length + 1) : rel;
    if (r.regex.test(local)) ignored = !r.negate;
  }
  return ignored;
}
