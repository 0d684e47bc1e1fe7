import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';
import { tmpDir } from '../support/env';
import { freePorts } from '../support/ports';

/**
 * A Qdrant for the tests: QDRANT_URL when set (any server a developer runs), else the Qdrant
 * server binary at ../shared/bin/qdrant beside the repository (CI has it there; AIML_QDRANT_BIN
 * names another copy), started on free loopback ports with a temporary storage folder and
 * stopped by its pid. Neither: the Qdrant tests are skipped, with a message saying why.
 */
export function qdrantBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const bin = env.AIML_QDRANT_BIN ?? path.resolve(PROJECT_ROOT, '../shared/bin/qdrant');
  return fs.existsSync(bin) ? bin : undefined;
}

export const QDRANT_SKIP_REASON = 'no Qdrant to test against: set QDRANT_URL, or put a Qdrant server binary at ../shared/bin/qdrant (or AIML_QDRANT_BIN)';

export function qdrantAvailable(): boolean {
  return !!process.env.QDRANT_URL || !!qdrantBinary();
}

export interface TestQdrant {
  url: string;
  apiKey?: string;
  stop(): Promise<void>;
}

export async function startQdrant(opts: { maxRequestMb?: number } = {}): Promise<TestQdrant> {
  if (process.env.QDRANT_URL) return { url: process.env.QDRANT_URL, apiKey: process.env.QDRANT_API_KEY, stop: async () => {} };
  const bin = qdrantBinary();
  if (!bin) throw new Error(QDRANT_SKIP_REASON);
  const dir = tmpDir('aiml-qdrant-');
  const [http, grpc] = (await freePorts(2)) as [number, number];
  const child: ChildProcess = spawn(bin, ['--disable-telemetry'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH,
      QDRANT__SERVICE__HOST: '127.0.0.1',
      QDRANT__SERVICE__HTTP_PORT: String(http),
      QDRANT__SERVICE__GRPC_PORT: String(grpc),
      QDRANT__STORAGE__STORAGE_PATH: path.join(dir, 'storage'),
      QDRANT__STORAGE__SNAPSHOTS_PATH: path.join(dir, 'snapshots'),
      ...(opts.maxRequestMb ? { QDRANT__SERVICE__MAX_REQUEST_SIZE_MB: String(opts.maxRequestMb) } : {}),
    },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${http}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const end = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Qdrant exited at start (${child.exitCode}): ${stderr}`);
    const up = await fetch(`${url}/`).then((r) => r.ok, () => false);
    if (up) return { url, stop };
    if (Date.now() > end) {
      await stop();
      throw new Error(`Qdrant did not answer GET / within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
