import { renderBuildReport, type ReportInput } from '../../src/builder/report';

const input = (files: ReportInput['files']): ReportInput => ({
  plan: { title: 'shout', summary: 'Adds shout() beside greet().', codeStructure: 'src/\n  shout.js\ntest/\n  shout.test.js', steps: [{ title: 'Add shout', description: 'Add shout and its test.', files: [{ path: 'src/shout.js' }] }] } as ReportInput['plan'],
  specPath: 'SPECS.md',
  checkCommand: 'npm test',
  files,
  steps: [{ n: 1, title: 'Add shout', status: 'passed', attempts: 1, checkPassed: true, filesTouched: files.length, applied: [] }],
  detectedDependencies: [],
});

const section = (report: string, name: string): string => report.slice(report.indexOf(`${name}:\n`) + name.length + 2, report.indexOf('\n\n', report.indexOf(`${name}:\n`)));

test('CODE STRUCTURE is the plan\'s; with nothing built it says so, so it is not read as what exists', () => {
  const none = renderBuildReport(input([]));
  expect(section(none, 'IMPLEMENTED FILES')).toBe('- No files were changed.');
  expect(section(none, 'CODE STRUCTURE')).toBe('As planned (not built: no files were changed):\nsrc/\n  shout.js\ntest/\n  shout.test.js');
  const built = renderBuildReport(input([{ path: 'src/shout.js', change: 'created', added: 3, removed: 0, purpose: 'shout()' }]));
  expect(section(built, 'CODE STRUCTURE')).toBe('src/\n  shout.js\ntest/\n  shout.test.js');
  // TESTING says what each step wrote: a step that "passed" without writing anything is not read as work done.
  expect(none).toContain('Step 1 (Add shout): passed, check passed, no files written, 1 attempt.');
  expect(built).toContain('Step 1 (Add shout): passed, check passed, 1 file written, 1 attempt.');
});
