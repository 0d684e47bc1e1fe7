import { main, quietOnClosedPipe } from './cli/program';

/** The `aiml` CLI entry point. */
if (require.main === module) {
  quietOnClosedPipe();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`aiml: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
