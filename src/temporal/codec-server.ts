import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import { errorMessage } from '../errors';
import type { AesGcmCodec } from './codec';

/**
 * A codec server in the shape the Temporal UI and CLI expect: POST {endpoint}/decode and /encode
 * with `{"payloads": [{"metadata": {k: base64}, "data": base64}]}`. Whoever can reach it and holds
 * its token (when one is set) reads decrypted payloads, so it listens on loopback by default.
 */

export interface CodecServerOptions {
  codec: AesGcmCodec;
  host?: string;
  port?: number;
  /** Origins allowed to call it from a browser (the UI's), e.g. http://127.0.0.1:8233. */
  origins?: string[];
  /** When set, each request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest request body accepted. Default 8 MiB. */
  maxBodyBytes?: number;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export async function startCodecServer(opts: CodecServerOptions): Promise<{ url: string; close(): Promise<void> }> {
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && opts.origins?.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Vary', 'Origin');
    }
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const route = (req.url ?? '').split('?')[0]!.replace(/\/+$/, '');
    const op = route.endsWith('/decode') ? 'decode' : route.endsWith('/encode') ? 'encode' : undefined;
    if (req.method !== 'POST' || !op) return reply(404, { message: 'POST /decode or /encode' });
    if (opts.token) {
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('Bearer ') || !sameToken(auth.slice(7), opts.token)) return reply(401, { message: 'missing or wrong bearer token' });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) {
        reply(413, { message: `request body over ${maxBody} bytes` });
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      void (async () => {
        let body: { payloads?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          return reply(400, { message: 'body is not JSON' });
        }
        if (!Array.isArray(body.payloads)) return reply(400, { message: 'body must be {"payloads": [...]}' });
        try {
          const payloads = (body.payloads as JsonPayload[]).map(fromJson);
          const out = op === 'decode' ? await opts.codec.decode(payloads) : await opts.codec.encode(payloads);
          reply(200, { payloads: out.map(toJson) });
        } catch (err) {
          reply(400, { message: errorMessage(err) });
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8888, opts.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
