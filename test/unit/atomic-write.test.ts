import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeFileIfChanged } from '../../src/storage/files';
import { tmpDir } from '../support/env';

test('one atomic write: content or a streaming writer, folders created, no temp file left on failure', () => {
  const dir = tmpDir('aiml-atomic-');
  const file = path.join(dir, 'deep', 'f.bin');
  writeFileAtomic(file, 'one');
  expect(fs.readFileSync(file, 'utf8')).toBe('one');
  writeFileAtomic(
    file,
    (fd) => {
      fs.writeSync(fd, 'two-');
      fs.writeSync(fd, Buffer.from('parts'));
    },
    { fsync: true },
  );
  expect(fs.readFileSync(file, 'utf8')).toBe('two-parts');
  expect(() =>
    writeFileAtomic(file, (fd) => {
      fs.writeSync(fd, 'half');
      throw new Error('disk went away');
    }),
  ).toThrow('disk went away');
  expect(fs.readFileSync(file, 'utf8')).toBe('two-parts'); // the old content, whole
  expect(fs.readdirSync(path.dirname(file))).toEqual(['f.bin']);
  expect(writeFileIfChanged(file, 'two-parts')).toEqual({ unchanged: true });
  expect(writeFileIfChanged(file, 'three')).toEqual({ unchanged: false });
  expect(fs.readFileSync(file, 'utf8')).toBe('three');
});
