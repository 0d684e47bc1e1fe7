import crypto from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { AimlError } from '../errors';

/**
 * Encrypts every payload with AES-256-GCM before it leaves the process (client or worker), so the
 * server's history holds nothing readable of briefs, specs, code or prompts. The key id travels in
 * the payload's metadata: to rotate, put a new key first (it encrypts from then on) and keep the
 * old ones after it (they still decrypt what they wrote).
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const META_ENCODING = 'encoding';
const META_KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface CodecKey {
  id: string;
  key: Buffer;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | null | undefined): string => (b ? new TextDecoder().decode(b) : '');

/**
 * Parses `AIML_ENCRYPTION_KEYS`: comma-separated `id:base64` pairs, each key exactly 32 bytes.
 * The first key encrypts; every key decrypts. The message never contains key material.
 */
export function parseCodecKeys(value: string, variable = 'AIML_ENCRYPTION_KEYS'): CodecKey[] {
  const keys: CodecKey[] = [];
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const sep = part.indexOf(':');
    const id = sep > 0 ? part.slice(0, sep).trim() : '';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
      throw new AimlError('CONFIG_INVALID', `Invalid ${variable}: each entry must be "id:base64key" with an id of letters, digits, ".", "_" or "-"`, { variable });
    }
    const key = Buffer.from(part.slice(sep + 1).trim(), 'base64');
    if (key.length !== 32) {
      throw new AimlError('CONFIG_INVALID', `Invalid ${variable}: key "${id}" is ${key.length} bytes; AES-256 needs 32 (make one with: openssl rand -base64 32)`, { variable });
    }
    if (keys.some((k) => k.id === id)) throw new AimlError('CONFIG_INVALID', `Invalid ${variable}: key id "${id}" appears twice`, { variable });
    keys.push({ id, key });
  }
  if (keys.length === 0) throw new AimlError('CONFIG_INVALID', `Invalid ${variable}: no key given`, { variable });
  return keys;
}

export class AesGcmCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: CodecKey[]) {
    if (keys.length === 0) throw new AimlError('CONFIG_INVALID', 'The payload codec needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  get keyIds(): string[] {
    return this.keys.map((k) => k.id);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0]!;
    return payloads.map((p) => {
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const iv = crypto.randomBytes(IV_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(id));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: { [META_ENCODING]: text(ENCRYPTED_ENCODING), [META_KEY_ID]: text(id) },
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (str(p.metadata?.[META_ENCODING]) !== ENCRYPTED_ENCODING) return p; // written before encryption was on
      const id = str(p.metadata?.[META_KEY_ID]);
      const key = this.byId.get(id);
      if (!key) throw new AimlError('CODEC_KEY_UNKNOWN', `Payload was encrypted with key "${id}", which is not among this process's keys (${this.keyIds.join(', ')})`);
      const data = Buffer.from(p.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new AimlError('CODEC_CORRUPT', 'Encrypted payload is too short');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new AimlError('CODEC_CORRUPT', `Encrypted payload failed authentication with key "${id}"`);
      }
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}
