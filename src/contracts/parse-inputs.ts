import { BUILD_APPROVALS, type BuildInput, type BuildResume, type ShipInput } from './build';
import type { DesignInput } from './design';
import type { IngestInput } from './kb';
import { LIMITS } from './limits';
import { top } from './parse';
import { bool, fail, kindOf, list, num, obj, ok, oneOf, optional, str, type Parsed, type Schema } from './schema';

/**
 * Parsers for workflow inputs: a run started with a bad input (say from the Temporal CLI or UI)
 * fails at once with the reason, before any activity runs.
 */

const DAY_MS = 86_400_000;

/** An absolute path (POSIX, or a Windows drive path). */
const absPath: Schema<string> = (raw, at) => {
  const r = str({ max: LIMITS.pathChars, nonEmpty: true })(raw, at);
  if (!r.ok) return r;
  return /^(\/|[A-Za-z]:[\\/])/.test(r.value) ? r : fail(`"${at}" must be an absolute path, got "${r.value.slice(0, 80)}"`);
};
const relOrAbsPath = str({ max: LIMITS.pathChars, nonEmpty: true });
const name = str({ max: LIMITS.nameChars, nonEmpty: true });
const brief = str({ max: LIMITS.briefChars, nonEmpty: true });
const ms = (min: number, max: number) => num({ int: true, min, max });

const gatePolicyShape = {
  timeoutMs: optional(ms(1, 366 * DAY_MS)),
  reminderIntervalMs: optional(ms(1_000, 366 * DAY_MS)),
  onTimeout: optional(oneOf(['fail', 'approve'] as const)),
};
const approvalPolicy = obj({ mode: optional(oneOf(['manual', 'auto'] as const)), ...gatePolicyShape });
const gatePolicy = obj(gatePolicyShape);
const buildLimits = obj({
  maxSteps: optional(num({ int: true, min: 1, max: 50 })),
  maxFixAttempts: optional(num({ int: true, min: 0, max: 10 })),
  tokenBudget: optional(num({ int: true, min: 1, max: 1e9 })),
  checkTimeoutMs: optional(ms(1_000, DAY_MS)),
  historyEvents: optional(num({ int: true, min: 50, max: 50_000 })),
});
const checkCommand = str({ max: LIMITS.commandChars });
// The BUILD agent's tool policy and per-step budget.
const agentPolicy = obj({ allowCommands: optional(list(str({ max: LIMITS.commandChars, nonEmpty: true }), 100)) });
const agentBudget = obj({
  maxTurns: optional(num({ int: true, min: 1, max: 1_000 })),
  maxTokens: optional(num({ int: true, min: 1_000, max: 1e9 })),
  maxWallMs: optional(ms(1_000, 7 * DAY_MS)),
});
const queueName = str({ max: LIMITS.nameChars, nonEmpty: true });
const routing = obj({ host: queueName, hostQueue: queueName, sharedQueue: queueName });
// A run's spending limit; 0 is allowed (ship hands build what design left, which may be nothing).
const runBudget = obj({ usd: optional(num({ min: 0, max: 1e6 })), tokens: optional(num({ int: true, min: 0, max: 1e10 })) });
const agentShape = { policy: optional(agentPolicy), budget: optional(agentBudget), verify: optional(oneOf(['shadow'] as const)) };

const designSchema = obj({
  brief,
  workspace: absPath,
  kb: optional(name),
  approval: optional(approvalPolicy),
  maxRevisions: optional(num({ int: true, min: 0, max: 50 })),
  model: optional(name),
  specFile: optional(relOrAbsPath),
  force: optional(bool),
  routing: optional(routing),
  runBudget: optional(runBudget),
});

const buildSchema = obj(
  {
    specPath: relOrAbsPath,
    designRunId: optional(str({ max: LIMITS.workflowIdChars, nonEmpty: true })),
    workspace: absPath,
    approval: optional(oneOf(BUILD_APPROVALS)),
    gatePolicy: optional(gatePolicy),
    checkCommand: optional(checkCommand),
    limits: optional(buildLimits),
    model: optional(name),
    kb: optional(name),
    reportFile: optional(relOrAbsPath),
    force: optional(bool),
    stepMode: optional(oneOf(['agent', 'oneshot'] as const)),
    routing: optional(routing),
    ...agentShape,
    runBudget: optional(runBudget),
  },
  { keepEmpty: ['checkCommand'] },
);

const shipSchema = obj(
  {
    brief,
    workspace: absPath,
    designApproval: optional(approvalPolicy),
    buildApproval: optional(oneOf(BUILD_APPROVALS)),
    gatePolicy: optional(gatePolicy),
    checkCommand: optional(checkCommand),
    limits: optional(buildLimits),
    model: optional(name),
    kb: optional(name),
    force: optional(bool),
    routing: optional(routing),
    ...agentShape,
    runBudget: optional(runBudget),
  },
  { keepEmpty: ['checkCommand'] },
);

const count = num({ int: true, min: 0 });
const skipped = obj({ binary: count, oversized: count, unreadable: count, ignored: count, generated: optional(count) });
const unreadablePaths = list(str({ max: LIMITS.pathChars }), 1_000);
const planSummary = obj({ root: relOrAbsPath, toIndex: count, toDelete: count, unchanged: count, batches: count, bytesToIndex: optional(count), skipped, unreadablePaths });
const progress = obj({
  phase: oneOf(['scanning', 'indexing', 'removing', 'done'] as const),
  kb: name,
  root: optional(relOrAbsPath),
  batches: count,
  batchesDone: count,
  filesToIndex: count,
  filesIndexed: count,
  bytesToIndex: optional(count),
  bytesIndexed: optional(count),
  filesUnchanged: count,
  filesRemoved: count,
  chunksIndexed: count,
  chunksEmbedded: count,
  chunksCached: count,
  chunksRemoved: count,
  secretsRedacted: optional(count),
  skipped,
  unreadablePaths: optional(unreadablePaths),
});
const ingestSchema = obj({
  kb: name,
  dir: optional(absPath),
  adopt: optional(bool),
  model: optional(str({ max: 64, nonEmpty: true })),
  batchFiles: optional(num({ int: true, min: 1, max: 10_000 })),
  batchesPerRun: optional(num({ int: true, min: 1, max: 10_000 })),
  resume: optional(obj({ planRef: str({ max: LIMITS.pathChars, nonEmpty: true }), plan: planSummary, nextBatch: count, progress })),
});

/** Refuses an input whose JSON is larger than LIMITS.inputChars before looking at its fields. */
function sized<T>(schema: Schema<T>, raw: unknown, what: string): Parsed<T> {
  let size = 0;
  try {
    size = JSON.stringify(raw)?.length ?? 0;
  } catch {
    return fail(`${what}: the input is not plain JSON data`);
  }
  if (size > LIMITS.inputChars) return fail(`${what}: the input is too large: ${size} characters of JSON, at most ${LIMITS.inputChars}`);
  return top(schema, raw, what);
}

export const parseDesignInput = (raw: unknown): Parsed<DesignInput> => sized(designSchema, raw, 'design input');
/**
 * A build input; `resume` (the state a run carries into its continue-as-new) is checked apart, with
 * a larger size limit: the workflow accepts it only in a run that was continued, never from a client.
 */
export function parseBuildInput(raw: unknown): Parsed<BuildInput> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !('resume' in raw)) return sized(buildSchema, raw, 'build input');
  const { resume, ...rest } = raw as Record<string, unknown>;
  const input = sized(buildSchema, rest, 'build input');
  if (!input.ok) return input;
  const carried = parseBuildResume(resume);
  return carried.ok ? ok({ ...input.value, resume: carried.value }) : carried;
}

/** The carried state is the run's own (see above): its shape is checked, not each field's limits. */
function parseBuildResume(raw: unknown): Parsed<BuildResume> {
  const at = 'build input: "resume"';
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail(`${at} must be an object, got ${kindOf(raw)}`);
  const r = raw as Partial<Record<keyof BuildResume, unknown>>;
  if (r.v !== 1) return fail(`${at} is of an unknown version (${String(r.v).slice(0, 20)})`);
  const objects = ['prep', 'plan', 'expected', 'run'] as const;
  for (const k of objects) if (r[k] === null || typeof r[k] !== 'object' || Array.isArray(r[k])) return fail(`${at}.${k} must be an object`);
  for (const k of ['steps', 'records', 'allowCommands'] as const) if (!Array.isArray(r[k])) return fail(`${at}.${k} must be a list`);
  if (typeof r.next !== 'number' || typeof r.generation !== 'number') return fail(`${at}: next and generation must be numbers`);
  if (r.loop !== undefined && (r.loop === null || typeof r.loop !== 'object')) return fail(`${at}.loop must be an object`);
  let size = 0;
  try {
    size = JSON.stringify(raw).length;
  } catch {
    return fail(`${at} is not plain JSON data`);
  }
  if (size > LIMITS.carriedChars) return fail(`${at} is too large: ${size} characters of JSON, at most ${LIMITS.carriedChars}`);
  return ok(raw as BuildResume);
}
export const parseShipInput = (raw: unknown): Parsed<ShipInput> => sized(shipSchema, raw, 'ship input');
export const parseIngestInput = (raw: unknown): Parsed<IngestInput> => sized(ingestSchema, raw, 'ingest input');
