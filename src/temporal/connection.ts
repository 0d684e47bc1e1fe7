import { Client, Connection, type ClientInterceptors } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { TemporalConfig } from '../config';
import { AimlError, errorMessage } from '../errors';
import { AesGcmCodec } from './codec';

/** The data converter every client and worker of this deployment uses: payloads encrypted when keys are configured. */
export function dataConverterFor(config: TemporalConfig): DataConverter | undefined {
  return config.encryptionKeys ? { payloadCodecs: [new AesGcmCodec(config.encryptionKeys)] } : undefined;
}

function connectOptions(config: TemporalConfig) {
  return {
    address: config.address,
    tls: config.tls ?? (config.apiKey ? true : undefined),
    apiKey: config.apiKey,
  };
}

function unreachable(config: TemporalConfig, err: unknown): AimlError {
  return new AimlError(
    'TEMPORAL_UNREACHABLE',
    `Cannot reach Temporal at ${config.address} (namespace ${config.namespace}): ${errorMessage(err).split('\n')[0]}. Start one with "aiml dev" or set TEMPORAL_ADDRESS.`,
  );
}

/** Tracing interceptors, loaded only when traces are exported (they are heavy to import for a CLI call). */
function clientInterceptors(config: TemporalConfig): ClientInterceptors | undefined {
  if (!config.tracing) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tracing = require('../observability/tracing') as typeof import('../observability/tracing');
  tracing.setupTracing(process.env, { service: 'aiml-cli' });
  flushTraces = tracing.shutdownTracing;
  return tracing.tracingClientInterceptors();
}

let flushTraces: (() => Promise<void>) | undefined;

/** Sends the client's spans before the process exits (a no-op unless traces are exported). */
export async function flushClientTraces(): Promise<void> {
  await flushTraces?.();
}

export async function connectClient(config: TemporalConfig, timeoutMs = 5000): Promise<Client> {
  try {
    const connection = await Connection.connect({ ...connectOptions(config), connectTimeout: timeoutMs });
    return new Client({ connection, namespace: config.namespace, dataConverter: dataConverterFor(config), interceptors: clientInterceptors(config) });
  } catch (err) {
    throw unreachable(config, err);
  }
}

export async function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(connectOptions(config));
  } catch (err) {
    throw unreachable(config, err);
  }
}
