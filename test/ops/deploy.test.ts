import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadTemporalConfig } from '../../src/config';
import { searchAttributeFlags } from '../../src/contracts/search-attributes';

/** docker-compose.yml and the Dockerfile cannot run here (no Docker engine): their structure is checked instead. */

const ROOT = path.resolve(__dirname, '..', '..');
const read = (f: string): string => fs.readFileSync(path.join(ROOT, f), 'utf8');
interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: unknown;
  restart?: string;
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  command?: string[];
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
const services = compose.services;

/** Every string literal of the source tree: an environment key the app reads appears in it. */
function sourceText(dir: string): string {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? sourceText(path.join(dir, e.name)) : e.name.endsWith('.ts') ? fs.readFileSync(path.join(dir, e.name), 'utf8') : ''))
    .join('\n');
}

test('the team stack: Temporal on PostgreSQL with schema setup, UI, search attributes, Qdrant, the worker', () => {
  expect(Object.keys(services).sort()).toEqual(['postgresql', 'qdrant', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker']);
  for (const [name, s] of Object.entries(services)) {
    if (s.image) expect({ name, pinned: /:v?\d+(\.\d+)+$/.test(s.image) }).toEqual({ name, pinned: true });
    expect(s.image ?? '').not.toMatch(/auto-setup/); // deprecated image
  }
  expect(services.temporal!.environment!.DB).toBe('postgres12');
  expect(services['temporal-schema']!.command!.join('\n')).toMatch(/temporal-sql-tool .*setup-schema/);
  const setup = services['temporal-setup']!.command!.join('\n');
  const flags = searchAttributeFlags().filter((f) => f !== '--search-attribute');
  expect(flags.length).toBeGreaterThan(0);
  for (const f of flags) {
    const [name, type] = f.split('=');
    expect(setup).toContain(`--name ${name} --type ${type}`);
  }
  expect(services['temporal-ui']!.ports).toContain('8233:8080');
  expect(services.temporal!.ports).toContain('7233:7233');
});

test('health checks, restart policies and start order', () => {
  for (const name of ['postgresql', 'temporal', 'qdrant']) expect({ name, health: !!services[name]!.healthcheck }).toEqual({ name, health: true });
  for (const name of ['postgresql', 'temporal', 'temporal-ui', 'qdrant', 'worker']) expect({ name, restart: services[name]!.restart }).toEqual({ name, restart: 'unless-stopped' });
  expect(services.worker!.depends_on).toMatchObject({ 'temporal-setup': { condition: 'service_completed_successfully' }, qdrant: { condition: 'service_healthy' } });
  expect(services.temporal!.depends_on).toMatchObject({ 'temporal-schema': { condition: 'service_completed_successfully' } });
});

test("the worker: built from the Dockerfile, uses the stack's Qdrant, and every environment key is one the app reads", () => {
  const worker = services.worker!;
  expect(worker.build).toBe('.');
  const env = worker.environment!;
  expect(env.AIML_VECTOR_STORE).toBe('qdrant');
  expect(env.QDRANT_URL).toBe('http://qdrant:6333');
  expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
  const src = sourceText(path.join(ROOT, 'src'));
  for (const key of Object.keys(env)) expect({ key, read: src.includes(key) }).toEqual({ key, read: true });
  // Empty values from ${VAR:-} mean "unset", not "invalid".
  expect(() => loadTemporalConfig({ TEMPORAL_ADDRESS: 'temporal:7233', AIML_ENCRYPTION_KEYS: '' })).not.toThrow();
  expect(worker.volumes).toContain('./workspaces:/workspaces');
  // A run belongs to the CLI's host: the worker's host id is fixed, and the README's CLI exports the same one.
  expect(env.AIML_HOST_ID).toBe('aiml-docker');
  expect(read('README.md')).toContain(`AIML_HOST_ID=${env.AIML_HOST_ID}`);
  expect(read('docker-compose.yml')).toContain(`export AIML_WORKSPACE_MAP="$PWD/workspaces=/workspaces" AIML_HOST_ID=${env.AIML_HOST_ID}`);
  expect(read('src/cli/start-run.ts')).toContain(`docker-compose.yml's: ${env.AIML_HOST_ID}`);
});

test("every folder of the worker's state survives the container: a volume in the stack, made by the image for its user", () => {
  // The state folders the code names (path.join(stateDir, '<folder>') …), found in the source so a new one is not missed.
  const named = new Set([...sourceText(path.join(ROOT, 'src')).matchAll(/path\.join\([^,()]*stateDir(?:\([a-z]*\))?, '([a-z-]+)'/g)].map((m) => m[1]!));
  const baked = ['models', 'tools']; // installed into the image by npm run setup
  const devOnly = ['logs']; // written by `aiml run`'s own worker, not the container's
  expect([...named].filter((f) => baked.includes(f) || devOnly.includes(f)).sort()).toEqual(['logs', 'models', 'tools']);
  const state = [...named].filter((f) => !baked.includes(f) && !devOnly.includes(f)).sort();
  expect(state).toEqual(expect.arrayContaining(['blobs', 'journals', 'kb']));
  const mounts = (services.worker!.volumes ?? []).map((v) => v.split(':'));
  const docker = read('Dockerfile');
  const made = /^RUN mkdir -p (.+)$/m.exec(docker.slice(docker.lastIndexOf('USER node')))?.[1]?.split(/\s+/) ?? [];
  for (const f of state) {
    const mount = mounts.find(([, target]) => target === `/app/.aiml/${f}`);
    expect({ f, volume: mount && mount[0]! in ((compose as { volumes?: Record<string, unknown> }).volumes ?? {}) }).toEqual({ f, volume: true });
    expect({ f, made: made.includes(`.aiml/${f}`) }).toEqual({ f, made: true });
  }
});

test("the Dockerfile's steps are the README's steps", () => {
  const docker = read('Dockerfile');
  const runs = [...docker.matchAll(/^RUN (.+)$/gm)].map((m) => m[1]!.trim());
  const npmSteps = runs.filter((r) => r.startsWith('npm '));
  expect(npmSteps.slice(0, 3)).toEqual(['npm ci', 'npm run build', 'npm run setup']);
  const readme = read('README.md');
  expect(readme).toContain('npm ci && npm run build');
  expect(readme).toContain('npm run setup');
  expect(docker).toMatch(/^FROM node:20\.\d+-bookworm AS build$/m);
  expect(docker).toMatch(/^CMD \["node", "dist\/worker\.js"\]$/m);
  // The build stage's setup distils the default model (minilm-static) with no setting: none is made, so the image's default is the README's.
  expect(docker).not.toContain('AIML_LOCAL_EMBED_MODEL');
  expect(read('src/setup.ts')).toMatch(/if \(staticModelSelected\(\)\) \{\n.*ensureStaticTable/);
});

test('AIML_WORKSPACE_MAP: the CLI checks the host folder and sends the path the worker sees', async () => {
  const { parseWorkspace } = await import('../../src/cli/options');
  const os = await import('node:os');
  const host = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-map-'));
  fs.mkdirSync(path.join(host, 'repo'));
  const env = { AIML_WORKSPACE_MAP: `${host}=/workspaces` };
  expect(parseWorkspace('repo', host, env)).toBe('/workspaces/repo');
  expect(parseWorkspace('.', host, env)).toBe('/workspaces');
  expect(() => parseWorkspace(os.tmpdir(), host, env)).toThrow(/outside .* the folder the worker sees/);
  expect(() => parseWorkspace('repo', host, { AIML_WORKSPACE_MAP: 'nonsense' })).toThrow(/AIML_WORKSPACE_MAP/);
  expect(parseWorkspace('repo', host, {})).toBe(path.join(host, 'repo'));
});

test('--spec: a missing file or a folder is refused before any run starts; the file is sent as the worker sees it', async () => {
  const { parseSpecPath } = await import('../../src/cli/options');
  const { workerDir } = await import('../../src/cli/commands/kb-input');
  const os = await import('node:os');
  const host = fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-map-'));
  fs.mkdirSync(path.join(host, 'repo'));
  fs.writeFileSync(path.join(host, 'repo', 'SPECS.md'), '# Spec\n');
  const env = { AIML_WORKSPACE_MAP: `${host}=/workspaces` };
  expect(parseSpecPath('repo/SPECS.md', host, env)).toBe('/workspaces/repo/SPECS.md');
  expect(parseSpecPath('repo/SPECS.md', host, {})).toBe(path.join(host, 'repo', 'SPECS.md'));
  expect(() => parseSpecPath('repo/SPEC.md', host, env)).toThrow(/--spec .*repo\/SPEC\.md does not exist/);
  expect(() => parseSpecPath('repo', host, env)).toThrow(/--spec .*repo is not a file/);
  const outside = path.join(os.tmpdir(), `aiml-spec-${process.pid}.md`);
  fs.writeFileSync(outside, '# Spec\n');
  expect(() => parseSpecPath(outside, host, env)).toThrow(/--spec .* is outside .* the folder the worker sees/);
  // A knowledge base's folder goes to the ingest workflow the same way.
  expect(workerDir(path.join(host, 'repo'), env)).toBe('/workspaces/repo');
  expect(() => workerDir(os.tmpdir(), env)).toThrow(/The folder .* is outside/);
});
