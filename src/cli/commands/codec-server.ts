import type { Command } from 'commander';
import { AimlError } from '../../errors';
import { AesGcmCodec } from '../../temporal/codec';
import { startCodecServer } from '../../temporal/codec-server';
import { type CliContext, printJson } from '../context';
import { parsePort } from '../options';

export function registerCodecServer(program: Command, ctx: CliContext): void {
  program
    .command('codec-server')
    .description('Serve /decode and /encode for the Temporal UI and CLI with the payload keys (AIML_ENCRYPTION_KEYS)')
    .option('--port <port>', 'port (default 8888)')
    .option('--ip <ip>', 'address to bind (default 127.0.0.1)')
    .option('--origin <url...>', 'browser origins allowed to call it (default: the dev UI, http://127.0.0.1:8233 and http://localhost:8233)')
    .option('--json', 'print the address as JSON')
    .action(async (opts: { port?: string; ip?: string; origin?: string[]; json?: boolean }) => {
      const keys = ctx.temporal().encryptionKeys;
      if (!keys) throw new AimlError('CONFIG_MISSING', 'aiml codec-server needs the payload keys: set AIML_ENCRYPTION_KEYS (the same value as the workers)');
      const token = ctx.env.AIML_CODEC_TOKEN?.trim() || undefined;
      const server = await startCodecServer({
        codec: new AesGcmCodec(keys),
        host: opts.ip ?? '127.0.0.1',
        port: opts.port ? parsePort('--port', opts.port) : 8888,
        origins: opts.origin ?? ['http://127.0.0.1:8233', 'http://localhost:8233'],
        token,
      });
      if (opts.json) printJson(ctx, { url: server.url, keys: keys.map((k) => k.id), token: !!token });
      else ctx.out(`Codec server on ${server.url} (keys: ${keys.map((k) => k.id).join(', ')}${token ? '; bearer token required' : ''}).\nIn the Temporal UI: Settings → Codec Server → ${server.url}. Ctrl-C stops it.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    });
}
