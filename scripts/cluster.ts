/**
 * A throwaway Temporal cluster by hand (the one `npm run test:cluster` starts for its tests):
 *   npx tsx scripts/cluster.ts build   # build the server and SQL tool only (cached)
 *   npx tsx scripts/cluster.ts up      # start PostgreSQL + the server; Ctrl-C stops and removes both
 */
import { startCluster } from './cluster/cluster';
import { ensureTemporalBuild } from './cluster/temporal-build';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(cmd: string | undefined): Promise<number> {
  if (cmd === 'build') {
    const build = await ensureTemporalBuild(log);
    process.stdout.write(`${build.server}\n${build.sqlTool}\n`);
    return 0;
  }
  if (cmd === 'up') {
    const cluster = await startCluster({ log });
    process.stdout.write(`TEMPORAL_ADDRESS=${cluster.address}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await cluster.stop();
    return 0;
  }
  log('usage: tsx scripts/cluster.ts build|up');
  return 2;
}

main(process.argv[2]).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    log(err.message);
    process.exitCode = 1;
  },
);
