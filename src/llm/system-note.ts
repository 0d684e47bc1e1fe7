import type { ChatMessage } from './gateway';

/** Appends a note to the system message (or adds one): stable text, so prompt prefixes stay cacheable. */
export function withSystemNote(messages: ChatMessage[], note: string): ChatMessage[] {
  const [first, ...rest] = messages;
  if (first?.role === 'system') return [{ role: 'system', content: `${first.content}\n\n${note}` }, ...rest];
  return [{ role: 'system', content: note }, ...messages];
}
