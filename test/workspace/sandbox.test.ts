import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { networkIsolation, runSandboxed } from '../../src/workspace/sandbox';
import { tmpDir } from '../support/env';

const hasUnshare = process.platform === 'linux' && spawnSync('unshare', ['--version']).status === 0;

test('the environment is allow-listed: credentials and aiml settings never reach the command', async () => {
  const ws = tmpDir('aiml-sbx-');
  process.env.SOME_SERVICE_CREDENTIAL = 'leak-1';
  process.env.AIML_LLM_API_KEY = 'leak-2';
  process.env.MY_APP_SETTING = 'leak-3'; // not a secret by name: dropped all the same (allow-list)
  try {
    const r = await runSandboxed({ workspace: ws, command: 'env; pwd', timeoutMs: 10_000 });
    expect(r).toMatchObject({ status: 'exited', exitCode: 0 });
    expect(r.output).not.toMatch(/leak-/);
    expect(r.output).toMatch(/^PATH=/m);
    expect(r.output).toMatch(/^CI=1$/m);
    expect(r.output).toContain(fs.realpathSync(ws));
  } finally {
    delete process.env.SOME_SERVICE_CREDENTIAL;
    delete process.env.AIML_LLM_API_KEY;
    delete process.env.MY_APP_SETTING;
  }
});

test('no network: the host is unreachable from the command, its own loopback works', async () => {
  const iso = networkIsolation();
  if (!hasUnshare) {
    expect(iso.status).toMatch(/^not isolated: /);
    return;
  }
  expect(iso.status).toBe('isolated');
  const server = http.createServer((_req, res) => res.end('host'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const ws = tmpDir('aiml-sbx-');
    const probe = `node -e "require('http').get('http://127.0.0.1:${port}', r => console.log('reached', r.statusCode)).on('error', e => console.log('blocked', e.code))"`;
    const r = await runSandboxed({ workspace: ws, command: probe, timeoutMs: 20_000 });
    expect(r.output.trim()).toBe('blocked ECONNREFUSED');
    expect(r.network).toBe('isolated');
    const open = await runSandboxed({ workspace: ws, command: probe, timeoutMs: 20_000, network: 'allow' });
    expect(open.output.trim()).toBe('reached 200');
    const local = "node -e \"const s=require('http').createServer((q,a)=>a.end('ok')).listen(0,'127.0.0.1',()=>require('http').get('http://127.0.0.1:'+s.address().port,r=>{r.on('data',d=>console.log('local',String(d)));s.close()}))\"";
    expect((await runSandboxed({ workspace: ws, command: local, timeoutMs: 20_000 })).output.trim()).toBe('local ok');
  } finally {
    server.close();
  }
});

test('unprivileged users get the same isolation through a user namespace (unshare -rn)', () => {
  if (!hasUnshare || process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).status !== 0) return;
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'unshare', '-rn', 'sh', '-c', 'ip link set lo up 2>/dev/null; cat /proc/net/dev'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  // only the loopback device exists inside
  expect(r.stdout.split('\n').filter((l) => l.includes(':')).map((l) => l.split(':')[0]!.trim())).toEqual(['lo']);
});

test('a timeout kills the whole process group, SIGKILL after a SIGTERM that is ignored', async () => {
  const ws = tmpDir('aiml-sbx-');
  const r = await runSandboxed({ workspace: ws, command: "trap '' TERM; sleep 60 & echo $! > bg.pid; echo started; wait", timeoutMs: 500 });
  expect(r.status).toBe('timed_out');
  expect(r.output).toMatch(/started\n[\s\S]*timed out after 500 ms/);
  expect(r.summary).toMatch(/^run_command trap .* · timed out · \d+\.\d s$/);
  const bg = Number(fs.readFileSync(path.join(ws, 'bg.pid'), 'utf8'));
  // the background child is gone too (dead, or a zombie waiting for a reaper that this container
  // may lack); a SIGKILLed process can take a moment to be torn down on a busy machine
  const gone = (): string | undefined => {
    const stat = fs.existsSync(`/proc/${bg}/stat`) ? fs.readFileSync(`/proc/${bg}/stat`, 'utf8') : '';
    return stat === '' || /^\d+ \(sleep\) Z /.test(stat) ? undefined : stat;
  };
  let alive = gone();
  for (let i = 0; alive !== undefined && i < 40; i++) {
    await new Promise((res) => setTimeout(res, 50));
    alive = gone();
  }
  expect(alive).toBeUndefined();
});

test('cancel through the abort signal', async () => {
  const ac = new AbortController();
  const started = Date.now();
  setTimeout(() => ac.abort(), 300);
  const r = await runSandboxed({ workspace: tmpDir('aiml-sbx-'), command: 'sleep 60', timeoutMs: 60_000, signal: ac.signal });
  expect(r.status).toBe('cancelled');
  expect(Date.now() - started).toBeLessThan(10_000);
});

test('output is capped with head and tail kept, and credentials in it are redacted', async () => {
  const ws = tmpDir('aiml-sbx-');
  const key = 'sk-proj-Xq7Lm2Rt9Vb4Nc8Kd1Wz6Hs3Jf5Gp0Ta2Ue7Yi4Oo9Pl3Mk6';
  const r = await runSandboxed({ workspace: ws, command: `echo first; seq 1 100000; echo "key ${key}"; echo last`, timeoutMs: 20_000, maxOutputChars: 2000 });
  expect(r.truncated).toBe(true);
  expect(r.outputBytes).toBeGreaterThan(500_000);
  expect(r.output).toMatch(/^first\n1\n2\n[\s\S]*… \[\d+ bytes cut\] …[\s\S]*\nlast\n$/);
  expect(r.output).not.toContain(key);
  expect(r.redactions).toEqual([expect.objectContaining({ rule: 'OpenAI API key', source: 'command output' })]);
});

test('markers: a finished call returns its recorded result, a started one is reported interrupted, neither runs again', async () => {
  const ws = tmpDir('aiml-sbx-');
  const state = { dir: path.join(tmpDir('aiml-sbx-state-'), 'cmds'), callId: 'call_1' };
  const command = 'echo run >> runs.txt; echo out; exit 2';
  const first = await runSandboxed({ workspace: ws, command, timeoutMs: 10_000, state });
  expect(first).toMatchObject({ status: 'exited', exitCode: 2, output: 'out\n' });
  const again = await runSandboxed({ workspace: ws, command, timeoutMs: 10_000, state });
  expect(again).toEqual(first);
  expect(fs.readFileSync(path.join(ws, 'runs.txt'), 'utf8')).toBe('run\n');
  // a worker that died mid-command left only the started marker
  fs.writeFileSync(path.join(state.dir, 'call_2.started'), '{}');
  const cut = await runSandboxed({ workspace: ws, command, timeoutMs: 10_000, state: { ...state, callId: 'call_2' } });
  expect(cut.status).toBe('interrupted');
  expect(cut.output).toBe('interrupted: the command was started and the worker stopped; it was not run again');
  expect(fs.readFileSync(path.join(ws, 'runs.txt'), 'utf8')).toBe('run\n');
  // an odd call id still maps to one safe file name
  await runSandboxed({ workspace: ws, command: 'true', timeoutMs: 10_000, state: { ...state, callId: '../x y' } });
  expect(fs.readdirSync(state.dir).filter((f) => f.endsWith('.finished'))).toHaveLength(2);
});
