/**
 * Query rewriting for natural-language questions about code, without a model: the question as
 * asked, its content words, and those words in the vocabulary code is written in (synonyms a
 * programmer would name things with, and adjacent words joined into identifiers). The retriever
 * searches each variant and fuses the lists by reciprocal rank, so a rewrite that misses costs
 * little and one that hits lifts the right chunk.
 */

const QUESTION = new Set(
  'how what which when where who why whom whose do does did done can could should would will shall may might must i me my we our you your it its is are was were be been being a an the to of in on for with by from at as and or but if so that this these those there then than any some one way get got use using used make want need'.split(
    ' ',
  ),
);

/** Words people ask with → words code is named with. Kept short and general (no corpus tuning). */
const CODE_WORDS: Record<string, string[]> = {
  remove: ['delete'], erase: ['delete'], delete: ['remove'],
  create: ['new', 'build'], build: ['create'], generate: ['create', 'gen'],
  find: ['search', 'lookup', 'resolve'], lookup: ['find', 'resolve'], search: ['find'],
  check: ['validate', 'verify'], validate: ['check', 'verify'], verify: ['validate'],
  convert: ['to', 'from', 'transform'], turn: ['convert'], transform: ['convert'],
  read: ['load', 'parse'], load: ['read'], parse: ['read', 'decode'], serialize: ['dump', 'encode', 'stringify'],
  write: ['dump', 'save'], save: ['write', 'store'], store: ['save', 'cache'],
  send: ['request', 'dispatch'], receive: ['read', 'response'], call: ['invoke', 'request'],
  error: ['exception', 'err'], failure: ['error'], fails: ['error'], exception: ['error'],
  config: ['options', 'settings'], configuration: ['config', 'options'], settings: ['options', 'config'], option: ['flag'],
  start: ['init', 'run', 'begin'], stop: ['close', 'shutdown', 'abort'], cancel: ['abort'],
  print: ['log', 'display', 'output'], show: ['display', 'print'], display: ['show', 'print'],
  text: ['string', 'str'], string: ['text', 'str'], number: ['int', 'integer'], integer: ['int'],
  dictionary: ['dict', 'map'], list: ['array'], array: ['list'], mapping: ['map', 'dict'],
  directory: ['dir', 'folder'], folder: ['dir', 'directory'], file: ['path'],
  mandatory: ['required'], required: ['mandatory'], several: ['multiple', 'variadic'], multiple: ['variadic', 'many'],
  retry: ['retries', 'backoff'], wait: ['timeout'], timeout: ['timer'], cache: ['cached'],
  test: ['mock', 'testing'], tests: ['mock', 'testing'], user: ['prompt'], ask: ['prompt', 'input'],
  random: ['rng', 'rand'], hash: ['digest'], encrypt: ['cipher'], compare: ['diff', 'equal'],
  command: ['cmd', 'cli'], terminal: ['console', 'tty'], argument: ['arg', 'argv'], arguments: ['args', 'argv'],
};

/** Lowercase words of a query with question words and punctuation gone. */
export function contentWords(query: string): string[] {
  return (query.toLowerCase().match(/[a-z0-9_]+/g) ?? []).filter((w) => !QUESTION.has(w));
}

/**
 * The variants to search, the original first: [query, content words, content words with code
 * synonyms and joined identifiers]. A query that is already code-like (an identifier, a path) or
 * too short to rewrite comes back alone.
 */
export function rewriteQuery(query: string): string[] {
  const q = query.trim();
  const words = contentWords(q);
  const naturalLanguage = /\s/.test(q) && !/[(){};=<>]|\w\.\w|\w\/\w/.test(q) && words.length >= 2;
  if (!naturalLanguage) return [q];
  const out = [q];
  const keywords = words.join(' ');
  if (keywords !== q.toLowerCase()) out.push(keywords);
  const extra: string[] = [];
  for (const w of words) extra.push(...(CODE_WORDS[w] ?? []));
  for (let i = 0; i + 1 < words.length; i++) extra.push(`${words[i]}${words[i + 1]![0]!.toUpperCase()}${words[i + 1]!.slice(1)}`);
  if (extra.length) out.push(`${keywords} ${extra.join(' ')}`);
  return [...new Set(out)];
}
