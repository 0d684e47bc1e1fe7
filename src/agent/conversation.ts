import type { ChatMessage } from '../llm/gateway';

/**
 * Fitting a conversation to the model's context window. Tokens are counted approximately, and
 * high (three characters per token, plus a few per message: code and JSON tokenise denser than
 * prose, about 3 characters a token with the offline model's tokenizer), which is what the
 * fitting needs: a margin, not an exact count. Older tool results are shortened first, each with
 * a note saying it was; the system message, the step's brief and the latest turn stay whole.
 */

export const approxTokens = (text: string): number => Math.ceil(text.length / 3);

export function conversationTokens(messages: ChatMessage[]): number {
  let n = 0;
  for (const m of messages) {
    n += 4 + approxTokens(m.content);
    if (m.role === 'assistant') for (const c of m.toolCalls ?? []) n += 8 + approxTokens(c.name) + approxTokens(c.arguments);
  }
  return n;
}

const KEEP_CHARS = 400;

/**
 * Returns the conversation shortened to fit `budgetTokens` (the window minus room for the answer):
 * tool results oldest first, down to their first few hundred characters and a note, then the
 * text (never the tool calls) of the model's own answers. Tool results of the latest turn (after
 * the last assistant message) are never shortened.
 */
export function fitConversation(messages: ChatMessage[], budgetTokens: number): { messages: ChatMessage[]; shortened: number } {
  let total = conversationTokens(messages);
  if (total <= budgetTokens) return { messages, shortened: 0 };
  const out = messages.slice();
  let lastAssistant = -1;
  out.forEach((m, i) => {
    if (m.role === 'assistant') lastAssistant = i;
  });
  let shortened = 0;
  for (let i = 0; i < lastAssistant && total > budgetTokens; i++) {
    const m = out[i]!;
    if (m.role !== 'tool' || m.content.length <= KEEP_CHARS * 2) continue;
    const note = `\n… [shortened to fit the context window: ${m.content.length} characters → ${KEEP_CHARS}; call the tool again if you need the rest]`;
    const closing = m.content.trimEnd().endsWith('</tool-output>') ? '\n</tool-output>' : '';
    const content = m.content.slice(0, KEEP_CHARS) + note + closing;
    total -= approxTokens(m.content) - approxTokens(content);
    out[i] = { ...m, content };
    shortened += 1;
  }
  // Then the model's own earlier prose (a small model can write thousands of tokens beside a tool
  // call), oldest first, the latest answer's too; its tool calls stay whole.
  for (let i = 0; i <= lastAssistant && total > budgetTokens; i++) {
    const m = out[i]!;
    if (m.role !== 'assistant' || m.content.length <= KEEP_CHARS * 2) continue;
    const content = `${m.content.slice(0, KEEP_CHARS)}\n… [your text shortened to fit the context window: ${m.content.length} characters → ${KEEP_CHARS}]`;
    total -= approxTokens(m.content) - approxTokens(content);
    out[i] = { ...m, content };
    shortened += 1;
  }
  return { messages: out, shortened };
}
