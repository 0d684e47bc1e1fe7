import { loopCut } from '../../src/llm/local/repetition';

const block = '### Step\n\n- Delete 348\n\n- Test\n\n- Finish\n\n# Policy\nread tools run freely; edits are applied without a gate.\n\n';

test('a text ending in copies of one block is cut after the first copy', () => {
  const intro = 'I will add the function first:';
  const text = intro + block.repeat(5);
  expect(loopCut(text)).toBe(intro.length + block.length);
  // The loop may stop mid-copy: the cut is the same.
  const partial = text + block.slice(0, 40);
  expect(loopCut(partial)).toBe(intro.length + block.length);
});

test('two copies, or copies spanning less than the minimum, are not a loop', () => {
  expect(loopCut('intro\n' + block.repeat(2))).toBeUndefined();
  expect(loopCut('x'.repeat(20) + 'abcdefghij'.repeat(20))).toBeUndefined(); // 200 chars of a 10-char block
  expect(loopCut('x'.repeat(20) + 'abcdefghij'.repeat(40))).toBe(30); // 400 chars: a loop
});

test('ordinary prose and code with similar (not identical) lines is left alone', () => {
  const code = Array.from({ length: 60 }, (_, i) => `  expect(add(${i}, 1)).toBe(${i + 1});\n`).join('');
  expect(loopCut(code)).toBeUndefined();
  const prose = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} explains a different part of the design in its own words.`).join('\n');
  expect(loopCut(prose)).toBeUndefined();
  expect(loopCut('')).toBeUndefined();
});

test('a loop after a long answer is found; a block longer than the longest looked for is not', () => {
  const long = Array.from({ length: 3000 }, (_, i) => `w${i}`).join(' ');
  expect(loopCut(long)).toBeUndefined();
  expect(loopCut(long + block.repeat(4))).toBe(long.length + block.length);
  const huge = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n'); // ~4,400 chars
  expect(loopCut('start ' + huge.repeat(3))).toBeUndefined();
  expect(loopCut('start ' + huge.repeat(3), { minPeriod: 8, maxPeriod: 10_000, minCopies: 3, minSpan: 300 })).toBe(6 + huge.length);
});
