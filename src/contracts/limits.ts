/**
 * Sizes allowed at every entrance of a workflow (signals, updates, workflow inputs). Anything
 * larger is refused with a message naming the field and the limit. Lengths are in characters,
 * after trimming. The README lists these for users.
 */
export const LIMITS = {
  /** The brief of a design or ship run. */
  briefChars: 32_000,
  /** A rejection's feedback. */
  feedbackChars: 8_000,
  /** A decision's comment. */
  commentChars: 2_000,
  /** Who decided (`by`). */
  byChars: 100,
  /** A gate name, e.g. `design/spec` or `build/step-3`. */
  gateChars: 100,
  /** A workflow id (in a child's state report). */
  workflowIdChars: 400,
  /** A path: workspace, spec, report file, folder to index. */
  pathChars: 4_096,
  /** A model name or knowledge-base name. */
  nameChars: 200,
  /** A check command. */
  commandChars: 4_000,
  /** The step line of a child's state report. */
  stepChars: 300,
  /** A whole workflow input, serialized as JSON (characters). */
  inputChars: 256 * 1024,
  /** State a run carries into its continue-as-new (its own, not a client's): under Temporal's 2 MB payload limit. */
  carriedChars: 1536 * 1024,
  /** Ignored (refused) signals kept in a run's state; older ones are counted, not kept. */
  ignoredKept: 20,
} as const;
