import fs from 'node:fs';
import path from 'node:path';
import { prepareEdits, type FileEdit } from '../../src/workspace/edits';
import { applyBlock } from '../../src/workspace/match';
import { resolveEditPath } from '../../src/workspace/paths';
import { scanSecrets } from '../../src/workspace/secrets';
import { tmpDir } from '../support/env';

function workspace(): string {
  const ws = tmpDir('aiml-ws-');
  fs.mkdirSync(path.join(ws, 'src'));
  fs.writeFileSync(path.join(ws, 'src/app.ts'), 'export function a() {\n  return 1;\n}\n\nexport function b() {\n  return 1;\n}\n');
  fs.mkdirSync(path.join(ws, '.git'));
  fs.writeFileSync(path.join(ws, '.git/config'), '[core]\n');
  return ws;
}

const refusal = (ws: string, edit: FileEdit): string => {
  const { files, problems } = prepareEdits(ws, [edit]);
  expect(files).toEqual([]);
  expect(problems).toHaveLength(1);
  return `[${problems[0]!.code}] ${problems[0]!.message}`;
};

describe('edits that are refused, with a clear message', () => {
  const ws = workspace();
  const outside = tmpDir('aiml-outside-');
  fs.symlinkSync(outside, path.join(ws, 'linked'));
  fs.symlinkSync(path.join(outside, 'x.txt'), path.join(ws, 'direct-link.txt'));

  test('path traversal', () => expect(refusal(ws, { path: 'src/../../etc/passwd', action: 'write', content: 'x' })).toMatch(/PATH_REFUSED.*"\.\." segments are not allowed/));
  test('absolute path', () => expect(refusal(ws, { path: '/etc/passwd', action: 'write', content: 'x' })).toMatch(/PATH_REFUSED.*absolute paths are not allowed/));
  test('symlink escape', () => {
    expect(refusal(ws, { path: 'linked/evil.js', action: 'write', content: 'x' })).toMatch(/PATH_REFUSED.*linked is a symbolic link leading outside the workspace/);
    expect(refusal(ws, { path: 'direct-link.txt', action: 'write', content: 'x' })).toMatch(/PATH_REFUSED.*is a symbolic link/);
    expect(fs.readdirSync(outside)).toEqual([]);
  });
  test('.git/config', () => expect(refusal(ws, { path: '.git/config', action: 'write', content: '[x]' })).toMatch(/PATH_REFUSED.*inside \.git\//));
  test('.env and key files', () => {
    expect(refusal(ws, { path: '.env', action: 'write', content: 'A=1' })).toMatch(/PATH_REFUSED.*secret store or key file \(\.env\)/);
    expect(refusal(ws, { path: 'config/.env.production', action: 'write', content: 'A=1' })).toMatch(/secret store/);
    expect(refusal(ws, { path: 'certs/server.pem', action: 'write', content: 'x' })).toMatch(/secret store or key file/);
    expect(refusal(ws, { path: '.ssh/id_ed25519', action: 'write', content: 'x' })).toMatch(/\.ssh\//);
    expect(prepareEdits(ws, [{ path: '.env.example', action: 'write', content: 'OPENAI_API_KEY=\n' }]).problems).toEqual([]);
  });
  test('a search block that matches nowhere names the block and the nearest lines', () => {
    const msg = refusal(ws, { path: 'src/app.ts', action: 'patch', blocks: [{ search: 'export function c() {\n  return 1;', replace: 'x' }] });
    expect(msg).toMatch(/NO_MATCH.*matches nowhere/);
    expect(msg).toMatch(/nearest lines \(1-3\):\n\s+1 \| export function a\(\) \{/);
    const { problems } = prepareEdits(ws, [{ path: 'src/app.ts', action: 'patch', blocks: [{ search: 'return 1;\n}\n\nexport function b', replace: 'ok' }, { search: 'nope', replace: '' }] }]);
    expect(problems[0]).toMatchObject({ edit: 1, block: 2, path: 'src/app.ts', code: 'NO_MATCH' });
  });
  test('an ambiguous search block says where it matches', () => {
    expect(refusal(ws, { path: 'src/app.ts', action: 'patch', blocks: [{ search: '  return 1;', replace: '  return 2;' }] })).toMatch(/AMBIGUOUS.*occurs 2 times \(lines 2, 6\)/);
  });
  test('a secret in generated content, redacted in the message', () => {
    const key = 'sk-proj-' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
    const msg = refusal(ws, { path: 'src/client.ts', action: 'write', content: `const client = new OpenAI({ apiKey: "${key}" });\n` });
    expect(msg).toMatch(/SECRET.*OpenAI API key on line 1/);
    expect(msg).not.toContain(key);
    expect(refusal(ws, { path: 'k.txt', action: 'write', content: 'x\n-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n' })).toMatch(/private key on line 2/);
  });
  test('patching a missing file, binary files and oversized content', () => {
    expect(refusal(ws, { path: 'src/none.ts', action: 'patch', blocks: [{ search: 'a', replace: 'b' }] })).toMatch(/MISSING_FILE.*use a write edit/);
    fs.writeFileSync(path.join(ws, 'logo.bin'), Buffer.from([1, 0, 2]));
    expect(refusal(ws, { path: 'logo.bin', action: 'write', content: 'x' })).toMatch(/NOT_TEXT/);
    expect(prepareEdits(ws, [{ path: 'big.txt', action: 'write', content: 'x'.repeat(2000) }], { maxFileBytes: 1000, maxFiles: 5 }).problems[0]!.code).toBe('TOO_LARGE');
  });
});

describe('edits that apply', () => {
  test('exact, then whitespace-tolerant with re-indentation; several edits to one file compose', () => {
    const ws = workspace();
    const { files, problems } = prepareEdits(ws, [
      { path: 'src/app.ts', action: 'patch', blocks: [{ search: 'export function a() {\n  return 1;', replace: 'export function a() {\n  return 10;' }] },
      { path: 'src/app.ts', action: 'patch', blocks: [{ search: 'export function b() {\n        return 1;\n}', replace: 'export function b() {\n    return 20;\n}' }] },
      { path: 'src/new.ts', action: 'write', content: 'export const n = 1;\n', why: 'new module' },
    ]);
    expect(problems).toEqual([]);
    expect(files.map((f) => [f.path, f.before === null])).toEqual([
      ['src/app.ts', false],
      ['src/new.ts', true],
    ]);
    expect(files[0]!.after).toBe('export function a() {\n  return 10;\n}\n\nexport function b() {\n    return 20;\n}\n');
    expect(fs.readFileSync(path.join(ws, 'src/app.ts'), 'utf8')).toContain('return 1;'); // prepare writes nothing
  });

  test('whitespace mode re-indents the replacement to the file', () => {
    const out = applyBlock('class A {\n    run() {\n        go();\n    }\n}\n', { search: 'run() {\n    go();\n}', replace: 'run() {\n    stop();\n    go();\n}' });
    expect(out).toMatchObject({ ok: true, mode: 'whitespace', line: 2 });
    expect(out.ok && out.content).toBe('class A {\n    run() {\n        stop();\n        go();\n    }\n}\n');
  });

  test('placeholders and env lookups are not secrets; real-looking keys are', () => {
    expect(scanSecrets('const apiKey = process.env.OPENAI_API_KEY;\nAPI_KEY="your-api-key-here-xxxxxxxxxx"\n')).toEqual([]);
    expect(scanSecrets('aws_key = "AKIAIOSFODNN7EXAMPLF"')[0]!.kind).toBe('AWS Access Key ID');
    expect(scanSecrets('db_password: "h7Gk2PqX9zLmW4vRt8Yc"')[0]!.kind).toMatch(/hard-coded credential/);
  });

  test('paths are normalised and stay inside', () => {
    const ws = workspace();
    expect(resolveEditPath(ws, './src//app.ts').rel).toBe('src/app.ts');
    expect(() => resolveEditPath(ws, 'src')).toThrow(/not a regular file/);
  });
});
