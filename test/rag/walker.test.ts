import fs from 'node:fs';
import path from 'node:path';
import { scanDirectory } from '../../src/rag/walker';
import { tmpDir } from '../support/env';

function write(root: string, rel: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), content);
}

test('scan honours nested .gitignore files, skips binary and oversized files with counts, hashes the rest', () => {
  const root = tmpDir('aiml-scan-');
  write(root, '.gitignore', 'dist/\n*.secret\n');
  write(root, 'src/a.ts', 'export const a = 1;\n');
  write(root, 'src/.gitignore', 'generated.ts\n');
  write(root, 'src/generated.ts', 'x');
  write(root, 'dist/out.js', 'x');
  write(root, 'node_modules/dep/index.js', 'x');
  write(root, 'k.secret', 'x');
  write(root, 'img.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]));
  write(root, 'big.txt', 'a'.repeat(2000));
  write(root, 'README.md', '# hi\n');
  const result = scanDirectory(root, { maxFileBytes: 1000 });
  expect(result.files.map((f) => f.path)).toEqual(['.gitignore', 'README.md', 'src/.gitignore', 'src/a.ts']);
  expect(result.skipped).toEqual({ binary: 1, oversized: 1, unreadable: 0, ignored: 4, generated: 0 });
  expect(result.files.find((f) => f.path === 'src/a.ts')!.hash).toMatch(/^[0-9a-f]{64}$/);
});

test('lockfiles, minified bundles and source maps are left out and counted; sources that look alike are kept', () => {
  const root = tmpDir('aiml-scan-gen-');
  const generated = ['package-lock.json', 'web/yarn.lock', 'pnpm-lock.yaml', 'Cargo.lock', 'py/poetry.lock', 'go.sum', 'vendor/app.min.js', 'css/site.min.css', 'dist-maps/app.js.map'];
  const kept = ['package.json', 'src/lock.ts', 'src/lockfile.ts', 'go.mod', 'Cargo.toml', 'src/admin.js', 'docs/sitemap.md'];
  for (const f of [...generated, ...kept]) write(root, f, 'text\n');
  const result = scanDirectory(root);
  expect(result.files.map((f) => f.path).sort()).toEqual([...kept].sort());
  expect(result.skipped.generated).toBe(generated.length);
});

test('a missing directory is a clear KB_DIR_MISSING error', () => {
  expect(() => scanDirectory('/nonexistent/aiml-dir')).toThrow(expect.objectContaining({ code: 'KB_DIR_MISSING', message: 'Directory /nonexistent/aiml-dir does not exist' }));
  const file = path.join(tmpDir(), 'f.txt');
  fs.writeFileSync(file, 'x');
  expect(() => scanDirectory(file)).toThrow(/is not a directory/);
});
