import type { RetrievedSnippet } from '../design/context';
import { AimlError } from '../errors';
import { interleave } from '../rag/fusion';
import type { ActivityDeps } from './deps';

/** Knowledge-base snippets a query gets by default (a BUILD plan or step; a DESIGN asks for 8). */
const KB_SNIPPETS = 6;
/** A query's start the knowledge base is searched with. */
const KB_QUERY_CHARS = 2000;

/**
 * Knowledge-base snippets, when the run names a knowledge base: for one query, or for each part of
 * a spec (`specParts`) taken in turns (`interleave`), so each part's best snippet comes before any
 * part's second; a few more than for one query.
 */
export async function kbSnippets(deps: Pick<ActivityDeps, 'retriever'>, kb: string | undefined, query: string | string[], k = KB_SNIPPETS): Promise<RetrievedSnippet[]> {
  if (!kb) return [];
  if (!deps.retriever) throw new AimlError('KB_UNAVAILABLE', `Knowledge base "${kb}" was asked for, but this worker has no retriever`);
  const parts = typeof query === 'string' ? [query] : query;
  const lists: RetrievedSnippet[][] = [];
  for (const part of parts) lists.push(await deps.retriever.search(kb, part.slice(0, KB_QUERY_CHARS), k));
  if (lists.length === 1) return lists[0]!;
  return interleave(lists, (s) => `${s.path}:${s.startLine ?? 0}`).slice(0, k + 2);
}
