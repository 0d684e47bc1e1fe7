import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes, registered by `aiml dev` and upserted by every aiml workflow. */
export const SA_PHASE = defineSearchAttributeKey('AimlPhase', SearchAttributeType.KEYWORD);
export const SA_STATUS = defineSearchAttributeKey('AimlStatus', SearchAttributeType.KEYWORD);
export const SA_AWAITING_APPROVAL = defineSearchAttributeKey('AimlAwaitingApproval', SearchAttributeType.BOOL);
export const SA_TOTAL_TOKENS = defineSearchAttributeKey('AimlTotalTokens', SearchAttributeType.INT);
/** What the run's LLM calls cost so far, in USD, by the worker's price table (`AimlCostUsd > 1`). */
export const SA_COST_USD = defineSearchAttributeKey('AimlCostUsd', SearchAttributeType.DOUBLE);

export const ALL_SEARCH_ATTRIBUTES = [SA_PHASE, SA_STATUS, SA_AWAITING_APPROVAL, SA_TOTAL_TOKENS, SA_COST_USD];

/** `temporal server start-dev --search-attribute` values. */
export function searchAttributeFlags(): string[] {
  const kind: Record<string, string> = { KEYWORD: 'Keyword', BOOL: 'Bool', INT: 'Int', TEXT: 'Text', DOUBLE: 'Double', DATETIME: 'Datetime' };
  return ALL_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${kind[k.type] ?? k.type}`]);
}
