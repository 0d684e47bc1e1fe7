import { z } from 'zod';
import { short, toolArgs } from './schema';
import type { FinishStepArgs, FinishTool } from './types';

/** finish_step: the model says the step is done, with a summary of what it did. */

export function finishStepTool(): FinishTool<FinishStepArgs> {
  return {
    name: 'finish_step',
    kind: 'finish',
    description: 'Call when the step is done (its changes made and checked): summarise what you changed and why, and anything left open.',
    ...toolArgs(z.strictObject({ summary: z.string().trim().min(1).max(4000).describe('What was done, in a few sentences') })),
    summary: (a) => `finish_step ${short(a.summary, 50)}`,
    result: (a) => ({ summary: a.summary }),
  };
}
