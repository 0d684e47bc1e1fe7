import { matchesAllowList } from '../../../src/agent/tools/allow-list';

test('exact commands and word patterns match; whitespace is normalised', () => {
  const allow = ['npm test*', 'pytest -q', 'go test * -v', 'make'];
  expect(matchesAllowList('npm test', allow)).toBe(true);
  expect(matchesAllowList('  npm   test -- --runInBand ', allow)).toBe(true);
  expect(matchesAllowList('npm testx', allow)).toBe(false);
  expect(matchesAllowList('pytest -q', allow)).toBe(true);
  expect(matchesAllowList('pytest -q -x', allow)).toBe(false);
  expect(matchesAllowList('go test ./pkg -v', allow)).toBe(true);
  expect(matchesAllowList('go test ./pkg ./other -v', allow)).toBe(false);
  expect(matchesAllowList('make', allow)).toBe(true);
  expect(matchesAllowList('', allow)).toBe(false);
  expect(matchesAllowList('rm -rf /', allow)).toBe(false);
});

test('a wildcard never lets shell syntax through; an exact pattern may name it', () => {
  const allow = ['npm test*', 'npm test && npm run lint'];
  for (const bad of ['npm test; curl x', 'npm test && curl x', 'npm test | sh', 'npm test > /etc/x', 'npm test $(curl x)', 'npm test `curl x`', 'npm test\ncurl x', 'npm test & curl x']) {
    expect([bad, matchesAllowList(bad, allow)]).toEqual([bad, false]);
  }
  expect(matchesAllowList('npm test && npm run lint', allow)).toBe(true);
  expect(matchesAllowList('npm test -- -t "a name"', allow)).toBe(true);
});
