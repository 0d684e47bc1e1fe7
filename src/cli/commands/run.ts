import readline from 'node:readline/promises';
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { llmConfigured, LLM_NOT_CONFIGURED, loadDevServerConfig, loadLlmConfig } from '../../config';
import { designWorkflowId, stateQuery, WORKFLOW_TYPES, type DesignInput } from '../../contracts';
import { AimlError, errorMessage } from '../../errors';
import { stateDir } from '../../paths';
import { connectWorker, dataConverterFor } from '../../temporal/connection';
import { planDevServer, portOpen, startDevServer } from '../../temporal/dev-server';
import { ensureTemporalBinary } from '../../temporal/install';
import { installRuntimeLogger } from '../../temporal/runtime';
import { buildDeps, createWorker } from '../../worker-factory';
import { type CliContext, printJson } from '../context';
import { parseWorkspace, shortId } from '../options';
import { decide } from './decide';
import { addApprovalOptions, approvalPolicy, type ApprovalFlags } from './design';
import { formatRun, type RunView } from '../run-view';
import { followRun, stepLine } from '../watch';

const LOCAL = /^(127\.0\.0\.1|localhost|\[::1\]):\d+$/;

/** Makes sure a Temporal server answers: starts the local dev server (detached, persistent) if none does. */
async function ensureServer(ctx: CliContext): Promise<string | undefined> {
  const { address } = ctx.temporal();
  if (await portOpen(address)) return undefined;
  if (!LOCAL.test(address)) throw new AimlError('TEMPORAL_UNREACHABLE', `Cannot reach Temporal at ${address}; check TEMPORAL_ADDRESS`);
  const dev = loadDevServerConfig(ctx.env);
  dev.port = Number(address.slice(address.lastIndexOf(':') + 1));
  const plan = planDevServer(ensureTemporalBinary(ctx.env, ctx.err), dev);
  const logFile = `${dev.stateDir}/dev-server.log`;
  await startDevServer(plan, { detached: true, logFile });
  ctx.err(`Started the Temporal dev server in the background: gRPC ${plan.address}, UI ${plan.uiUrl} (log: ${logFile}; db: ${plan.dbFile})`);
  return plan.uiUrl;
}

async function connectWithRetry(ctx: CliContext): Promise<Client> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const client = await ctx.client();
      await client.workflowService.getSystemInfo({});
      return client;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

async function askAtGate(ctx: CliContext, client: Client, view: RunView, say: (text: string) => void): Promise<'decided' | 'leave'> {
  const state = await client.workflow.getHandle(view.pendingGateWorkflowId ?? view.workflowId).query(stateQuery);
  const digest = typeof state.details.digest === 'string' ? state.details.digest : '';
  say(`\n--- ${view.pendingGate} is waiting for your decision ---\n${digest}\n`);
  if (!process.stdin.isTTY) {
    say(formatRun(view));
    say('(No terminal to ask on: decide from another shell with the commands above; this process keeps the worker running.)');
    return 'leave';
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      const answer = (await rl.question('[a]pprove, [r]eject with feedback, or [q]uit and leave it waiting? ')).trim().toLowerCase();
      if (answer === 'a' || answer === 'approve') {
        await decide(ctx, view.workflowId, { decision: 'approve', gate: view.pendingGate ?? undefined, by: ctx.env.AIML_USER ?? undefined });
        return 'decided';
      }
      if (answer === 'r' || answer === 'reject') {
        const feedback = (await rl.question('What should change? ')).trim();
        if (!feedback) {
          ctx.err('Feedback is needed for a rejection.');
          continue;
        }
        await decide(ctx, view.workflowId, { decision: 'reject', gate: view.pendingGate ?? undefined, feedback, by: ctx.env.AIML_USER ?? undefined });
        return 'decided';
      }
      if (answer === 'q' || answer === 'quit') return 'leave';
    }
  } finally {
    rl.close();
  }
}

interface RunFlags extends ApprovalFlags {
  workspace?: string;
  kb?: string;
  json?: boolean;
}

export function registerRun(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('run')
    .description('The whole DESIGN job in one command: starts Temporal and a worker if needed, runs a design, asks you at the gate')
    .argument('<brief>', 'what to design, in words')
    .option('--workspace <dir>', 'target repository (default: current directory)')
    .option('--kb <name>', 'knowledge base to retrieve context from')
    .option('--json', 'print the final state of the run as JSON (progress stays on stderr)');
  addApprovalOptions(cmd).action(async (brief: string, flags: RunFlags) => {
    if (!llmConfigured(ctx.env)) throw new AimlError('CONFIG_MISSING', LLM_NOT_CONFIGURED);
    const llm = loadLlmConfig(ctx.env);
    if (!brief.trim()) throw new AimlError('USAGE', 'The brief is empty');
    const input: DesignInput = { brief, workspace: parseWorkspace(flags.workspace, ctx.env.INIT_CWD ?? process.cwd()), approval: approvalPolicy(flags) };
    if (flags.kb) input.kb = flags.kb;

    const ui = (await ensureServer(ctx)) ?? `http://127.0.0.1:${loadDevServerConfig(ctx.env).uiPort}`;
    const client = await connectWithRetry(ctx);
    const temporal = ctx.temporal();
    ctx.err('Starting a worker...');
    installRuntimeLogger(ctx.env);
    const connection = await connectWorker(temporal);
    const worker = await createWorker({ connection, namespace: temporal.namespace, taskQueue: temporal.taskQueue, deps: buildDeps(llm, stateDir(ctx.env)), dataConverter: dataConverterFor(temporal) });
    const running = worker.run();
    try {
      const workflowId = designWorkflowId(shortId());
      const handle = await client.workflow.start(WORKFLOW_TYPES.design, { taskQueue: temporal.taskQueue, workflowId, args: [input] });
      // The UI's workflow page wants the run id too.
      const page = `${ui}/namespaces/${temporal.namespace}/workflows/${workflowId}/${handle.firstExecutionRunId}/history`;
      ctx.err(`Design run ${workflowId} started — follow it in the Temporal UI: ${page}`);
      let interactive = true;
      for (;;) {
        const view = await followRun(client, workflowId, { onStep: (v) => ctx.err(stepLine(v)), throughGates: !interactive });
        if (view.status !== 'awaiting_approval') {
          if (view.status !== 'completed') ctx.exitCode = 1;
          if (flags.json) {
            printJson(ctx, view);
            break;
          }
          ctx.out(formatRun(view));
          if (view.status === 'completed') ctx.out(`\nNext: build it with "aiml build --from ${workflowId}" (with a worker running: "aiml worker").`);
          break;
        }
        if ((await askAtGate(ctx, client, view, flags.json ? ctx.err : ctx.out)) === 'leave') {
          if (process.stdin.isTTY) {
            if (flags.json) printJson(ctx, view);
            else ctx.out(`Left ${workflowId} waiting. Decide later with "aiml approve ${workflowId}" (run "aiml worker" to keep it moving).`);
            break;
          }
          interactive = false;
        }
      }
    } catch (err) {
      throw new AimlError('RUN_FAILED', errorMessage(err));
    } finally {
      worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
    }
  });
}
