import type { Command } from 'commander';
import { LOCAL_MODEL_NOTICE, loadDevServerConfig, loadLlmConfig } from '../../config';
import { designWorkflowId, type DesignInput } from '../../contracts';
import { AimlError, errorMessage } from '../../errors';
import { stateDir } from '../../paths';
import { connectWorker, dataConverterFor } from '../../temporal/connection';
import { installRuntimeLogger, workerLogFile } from '../../temporal/runtime';
import { loadHostConfig } from '../../config-hosts';
import { buildDeps, createHostWorkers, resolveLlm } from '../../worker-factory';
import { type CliContext, printJson } from '../context';
import { askAtGate } from '../gate-prompt';
import { checkedInput, cleanText } from '../inputs';
import { connectWithRetry, ensureServer } from '../local-server';
import { parseWorkspace, shortId } from '../options';
import { addApprovalOptions, approvalPolicy, type ApprovalFlags } from './design';
import { formatRun } from '../run-view';
import { stepLine } from '../watch';
import { checkRunKb } from '../kb-registry';
import { addBudgetOptions, budgetNotice, runBudgetFrom, type BudgetFlags } from '../budget-options';

interface RunFlags extends ApprovalFlags, BudgetFlags {
  workspace?: string;
  kb?: string;
  json?: boolean;
  force?: boolean;
}

export function registerRun(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('run')
    .description('The whole DESIGN job in one command: starts Temporal and a worker if needed, runs a design, asks you at the gate')
    .argument('<brief>', 'what to design, in words')
    .option('--workspace <dir>', 'target repository (default: current directory)')
    .option('--kb <name>', 'knowledge base to retrieve context from')
    .option('--force', 'overwrite SPECS.md even if it was changed by hand since aiml wrote it')
    .option('--json', 'print the final state of the run as JSON (progress stays on stderr)');
  addBudgetOptions(addApprovalOptions(cmd)).action(async (brief: string, flags: RunFlags) => {
    let llm = loadLlmConfig(ctx.env);
    // No endpoint: the offline default, said once. A local model is ready before anything starts.
    if (llm.provider === 'local' && !llm.routing) ctx.err(LOCAL_MODEL_NOTICE);
    llm = resolveLlm(llm, ctx.env, ctx.err);
    if (!brief.trim()) throw new AimlError('USAGE', 'The brief is empty');
    const raw: DesignInput = { brief: cleanText(brief), workspace: parseWorkspace(flags.workspace, ctx.env.INIT_CWD ?? process.cwd()), approval: approvalPolicy(flags) };
    if (flags.kb) raw.kb = flags.kb;
    if (flags.force) raw.force = true;
    const runBudget = runBudgetFrom(flags);
    if (runBudget) raw.runBudget = runBudget;
    const input = checkedInput('design', raw); // before a server or a worker is started
    if (input.kb) checkRunKb(ctx, input.kb);

    const ui = (await ensureServer(ctx)) ?? `http://127.0.0.1:${loadDevServerConfig(ctx.env).uiPort}`;
    await connectWithRetry(ctx);
    const aiml = await ctx.aiml();
    const temporal = ctx.temporal();
    // The worker shares this terminal with the prompt: its logs go to a file, named here once.
    const logs = installRuntimeLogger(ctx.env, { file: workerLogFile(stateDir(ctx.env)) });
    ctx.err(`Starting a worker${logs ? ` (its logs: ${logs})` : ''}...`);
    const connection = await connectWorker(temporal);
    const deps = buildDeps(llm, stateDir(ctx.env));
    const worker = await createHostWorkers({ connection, namespace: temporal.namespace, taskQueue: temporal.taskQueue, host: loadHostConfig(ctx.env), deps, dataConverter: dataConverterFor(temporal) });
    const running = worker.run();
    try {
      const workflowId = designWorkflowId(shortId());
      const handle = await aiml.start('design', workflowId, input);
      // The UI's workflow page wants the run id too.
      const page = `${ui}/namespaces/${temporal.namespace}/workflows/${workflowId}/${handle.firstExecutionRunId}/history`;
      ctx.err(`Design run ${workflowId} started — follow it in the Temporal UI: ${page}`);
      if (runBudget) ctx.err(budgetNotice(workflowId, runBudget));
      let interactive = true;
      for (;;) {
        const view = await aiml.watch(workflowId, { onChange: (v) => ctx.err(stepLine(v)), onSwitch: (line) => ctx.err(`  provider switch: ${line}`), throughGates: !interactive });
        if (view.status !== 'awaiting_approval' || view.trouble?.kind === 'workflow_task_failing') {
          if (view.status !== 'completed') ctx.exitCode = 1;
          if (flags.json) {
            printJson(ctx, view);
            break;
          }
          ctx.out(formatRun(view));
          if (view.status === 'completed') ctx.out(`\nNext: build it with "aiml build --from ${workflowId}" (with a worker running: "aiml worker").`);
          break;
        }
        if ((await askAtGate(ctx, view, flags.json ? ctx.err : ctx.out)) === 'leave') {
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
      await deps.llm.close();
    }
  });
}
