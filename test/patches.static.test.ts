import fs from 'node:fs';
import path from 'node:path';
import * as boundary from '../src/workflows/boundary';
import * as budget from '../src/workflows/budget';
import * as llmView from '../src/workflows/llm-view';
import * as patches from '../src/workflows/patches';
import * as routing from '../src/workflows/routing';
import * as runState from '../src/workflows/run-state';

/**
 * Every patch a workflow asks for must be decided in the run's first activation (see
 * src/workflows/patches.ts): a patch first asked for after a local activity can be recorded in a
 * different workflow task than replay expects, and the run then fails to replay. This reads the
 * workflow sources, so a new `wf.patched(X)` that is not in a start list fails here, not on a
 * cluster under load.
 */
const DIR = path.join(__dirname, '../src/workflows');
const CONSTANTS: Record<string, unknown> = { ...boundary, ...budget, ...llmView, ...patches, ...routing, ...runState };
// Asked for before the first local activity, in the same activation as the start lists.
const DECIDED_FIRST = new Set([routing.HOST_ROUTING_PATCH, patches.PATCHES_AT_START]);

test('every wf.patched() in the workflows names a patch decided at start', () => {
  const atStart = new Set([...patches.DESIGN_PATCHES, ...patches.BUILD_PATCHES, ...patches.SHIP_PATCHES, ...DECIDED_FIRST]);
  const calls: { file: string; arg: string }[] = [];
  for (const file of fs.readdirSync(DIR).filter((f) => f.endsWith('.ts'))) {
    const src = fs.readFileSync(path.join(DIR, file), 'utf8');
    for (const m of src.matchAll(/wf\.patched\(\s*([^)]+?)\s*\)/g)) calls.push({ file, arg: m[1]! });
  }
  expect(calls.length).toBeGreaterThanOrEqual(10);
  const undecided = calls.filter(({ file, arg }) => {
    if (file === 'patches.ts') return false; // the start-list machinery itself
    const literal = /^['"]([^'"]+)['"]$/.exec(arg)?.[1];
    const id = literal ?? CONSTANTS[arg];
    return typeof id !== 'string' || !atStart.has(id);
  });
  expect(undecided).toEqual([]);
});

test('the start lists hold each patch once and name only strings', () => {
  for (const list of [patches.DESIGN_PATCHES, patches.BUILD_PATCHES, patches.SHIP_PATCHES]) {
    expect(new Set(list).size).toBe(list.length);
    for (const id of list) expect(typeof id).toBe('string');
  }
});
