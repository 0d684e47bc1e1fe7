import { approxTokens, fitConversation } from '../agent/conversation';
import { contextWindow } from '../llm/context-window';
import { agentStartMessages } from '../agent/prompt';
import { agentTools } from '../agent/tools/registry';
import { matchesAllowList } from '../agent/tools/allow-list';
import type { BuildPlan } from '../builder/schemas';
import type { ChatMessage, ToolCall } from '../llm/gateway';
import type { Proposal } from './build-step';
import type { AgentCall, AgentTurnInput, AgentTurnOutput } from './agent-types';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';
import { callUsage } from '../contracts/run';

/** Room kept free in the context window for the model's answer. */
const ANSWER_RESERVE = 0.2;


/**
 * One model turn of a BUILD step: the conversation (by reference) plus the previous turn's tool
 * results and any notes → the model, with the tools → its answer appended, the conversation stored
 * again, and each tool call validated and classified for the workflow (read, edit, command within
 * or outside the allow-list, finish, or invalid with the error the model gets back).
 */
export function agentTurnActivities(deps: ActivityDeps) {
  return {
    async agentTurn(input: AgentTurnInput): Promise<AgentTurnOutput> {
      return guarded(async (signal, tap) => {
        const toolset = agentTools({ knowledgeBase: Boolean(input.kb) });
        const model = input.model ?? deps.llm.modelFor?.('agent') ?? deps.llm.model;
        const window = contextWindow(model, deps.llm.contextTokensFor?.('agent'));
        // The tools' definitions travel with every turn: what they take is not the conversation's.
        const budget = Math.floor(window * (1 - ANSWER_RESERVE)) - approxTokens(JSON.stringify(toolset.definitions));
        let messages: ChatMessage[];
        if (input.conversationRef) {
          messages = JSON.parse(deps.blobs.get(input.conversationRef)) as ChatMessage[];
        } else {
          const start = input.start!;
          const plan = JSON.parse(deps.blobs.get(start.planRef)) as BuildPlan;
          const spec = deps.blobs.get(start.specRef);
          // The step's brief stays whole in every turn: a long spec gets at most half the window (and 30,000 characters).
          const specMax = Math.min(30_000, Math.max(2_000, Math.floor((budget * 3) / 2)));
          messages = agentStartMessages({ spec: spec.length > specMax ? `${spec.slice(0, specMax)}\n… [spec truncated to fit the context window]` : spec, plan, step: start.step, checkCommand: start.checkCommand, policy: start.policy, hasKb: Boolean(input.kb), ...(start.leads ? { leads: start.leads } : {}) });
        }
        for (const r of input.results) messages.push({ role: 'tool', toolCallId: r.toolCallId, content: r.text ?? deps.blobs.get(r.ref!) });
        for (const note of input.notes) messages.push({ role: 'user', content: note });

        const fitted = fitConversation(messages, budget);
        const res = await deps.llm.chat({
          messages: fitted.messages,
          tools: toolset.definitions,
          toolChoice: input.requireTool ? 'required' : 'auto',
          purpose: 'agent',
          model: input.model,
          temperature: 0.1,
          signal,
          stream: tap,
        });
        messages.push({ role: 'assistant', content: res.content, ...(res.toolCalls.length ? { toolCalls: res.toolCalls } : {}) });
        const conversationRef = deps.blobs.put(JSON.stringify(messages));

        const calls = res.toolCalls.map((c, i): AgentCall => classify(c, `s${input.step}t${input.turn}c${i + 1}`));
        return {
          conversationRef,
          content: res.content.slice(0, 500),
          calls,
          usage: callUsage(res.usage, 1, res.latencyMs),
          shortened: fitted.shortened,
          ...(res.provider ? { provider: res.provider } : {}),
        };

        function classify(c: ToolCall, key: string): AgentCall {
          const argsRef = deps.blobs.put(c.arguments);
          const parsed = toolset.parseCall(c);
          if (!parsed.ok) return { id: c.id, key, name: c.name.slice(0, 80), kind: 'invalid', summary: `${c.name.slice(0, 60)} (invalid call)`, argsRef, error: parsed.error };
          const tool = parsed.tool;
          const summary = tool.summary(parsed.args).slice(0, 300);
          const base = { id: c.id, key, name: tool.name, kind: tool.kind, summary, argsRef };
          if (tool.kind === 'command') {
            const { command } = tool.request(parsed.args);
            return { ...base, command, allowListed: matchesAllowList(command, input.allowCommands) };
          }
          if (tool.kind === 'finish') {
            const proposal: Proposal = {
              step: input.step,
              attempt: input.turn,
              meta: { summary: tool.result(parsed.args).summary, keyImplementations: [], interfaces: [], dependencies: [], configuration: [], usage: '' },
              files: [],
            };
            return { ...base, finishRef: deps.blobs.put(JSON.stringify(proposal)) };
          }
          return base;
        }
      });
    },
  };
}
