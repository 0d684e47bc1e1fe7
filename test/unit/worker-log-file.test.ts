import fs from 'node:fs';
import path from 'node:path';
import { appendTo, workerLogFile } from '../../src/temporal/runtime';
import { tmpDir } from '../support/env';

test("the worker's log file exists from the start and says what it holds, then takes each line", () => {
  const file = workerLogFile(path.join(tmpDir('aiml-logfile-'), 'state'), new Date('2026-11-28T10:00:00Z'));
  expect(file).toMatch(/logs[/\\]worker-2026-11-28\.log$/);
  const write = appendTo(file, 'WARN', new Date('2026-11-28T10:00:01Z'));
  // Nothing logged yet (a quiet run at WARN): the file is there, with its header.
  expect(fs.readFileSync(file, 'utf8')).toBe(`2026-11-28T10:00:01.000Z worker ${process.pid} logs here at WARN and above (AIML_LOG_LEVEL)\n`);
  write('[WARN] something');
  expect(fs.readFileSync(file, 'utf8').split('\n')).toEqual([expect.stringContaining('logs here at WARN'), '[WARN] something', '']);
});
