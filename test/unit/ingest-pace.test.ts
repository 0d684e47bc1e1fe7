import { IngestPace, suggestFast } from '../../src/cli/commands/kb-common';
import type { IngestProgress } from '../../src/contracts';

const progress = (filesIndexed: number, filesToIndex: number, phase: IngestProgress['phase'] = 'indexing'): IngestProgress => ({
  phase,
  kb: 'docs',
  batches: 10,
  batchesDone: 0,
  filesToIndex,
  filesIndexed,
  filesUnchanged: 0,
  filesRemoved: 0,
  chunksIndexed: 0,
  chunksEmbedded: 0,
  chunksCached: 0,
  chunksRemoved: 0,
  skipped: { binary: 0, oversized: 0, unreadable: 0, ignored: 0 },
});

test("kb add's progress says how long the sync has left at its pace since this CLI first saw it indexing", () => {
  const pace = new IngestPace();
  expect(pace.left(progress(0, 0, 'scanning'), 0)).toBe('');
  expect(pace.left(progress(100, 10_100), 1_000)).toBe(''); // first sight (a joined sync may be half done): the pace starts here
  expect(pace.left(progress(150, 10_100), 4_000)).toBe(''); // under 5 s: too early to trust
  // 100 files in 10 s; 9,900 left: 990 s.
  expect(pace.left(progress(200, 10_100), 11_000)).toBe(', about 17 min left');
  expect(pace.left(progress(10_000, 10_100), 99_000)).toBe(''); // under half a minute left: not worth saying
  expect(pace.left(progress(10_100, 10_100, 'removing'), 100_000)).toBe('');

  const slow = new IngestPace();
  slow.left(progress(0, 100_000), 0);
  expect(slow.left(progress(10, 100_000), 60_000)).toBe(', about 166.7 h left');
  const none = new IngestPace();
  none.left(progress(5, 50), 0);
  expect(none.left(progress(5, 50), 60_000)).toBe(''); // nothing indexed since: no pace to go by
});

test('where the sync counts bytes, the time left goes by them: big files still to come weigh what they cost', () => {
  // 900 small files (1 KB) first, then 100 big ones (1 MB): after 900 files in 10 s, files say 1 s is left, bytes say 1,111 s.
  const at = (files: number, bytes: number): IngestProgress => ({ ...progress(files, 1_000), bytesToIndex: 900 * 1_000 + 100 * 1_000_000, bytesIndexed: bytes });
  const byBytes = new IngestPace();
  byBytes.left(at(0, 0), 0);
  expect(byBytes.remainingMs(at(900, 900_000), 10_000)).toBeCloseTo(((10_000 / 900_000) * 100_000_000), 0);
  expect(byBytes.left(at(900, 900_000), 10_000)).toBe(', about 19 min left');
  // A sync planned before bytes were counted goes by files, as before.
  const byFiles = new IngestPace();
  byFiles.left(progress(0, 1_000), 0);
  expect(byFiles.remainingMs(progress(900, 1_000), 10_000)).toBeCloseTo((10_000 / 900) * 100, 6);
});

test('a long first sync names the faster local model and the commands that switch to it', () => {
  const pace = new IngestPace();
  expect(pace.watchedMs(0)).toBe(0);
  pace.left(progress(0, 100), 1_000);
  expect(pace.watchedMs(31_000)).toBe(30_000);
  expect(suggestFast({ kb: 'mono', dir: '/src/mono' }, 600_000)).toBe(
    'aiml: this first sync has over 10 minutes to go. For a folder this big, --model minilm-static (the default model) embeds about 10x as fast; its searches are refined by MiniLM (README: AIML_LOCAL_EMBED_MODEL). ' +
      'To switch: aiml cancel kb-ingest-mono && aiml kb rm mono && aiml kb add /src/mono --kb mono --model minilm-static',
  );
});
