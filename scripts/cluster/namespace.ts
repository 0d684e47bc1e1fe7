import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes';
import { ClusterError, sleep } from './run';
import { serverFailed, type TemporalServer } from './temporal-server';

/**
 * Readiness of a fresh cluster: the frontend's health check says SERVING, each namespace is
 * registered, and aiml's search attributes are added and usable in a visibility query (the same
 * ones `aiml dev` registers on the dev server).
 */

const V = temporal.api.enums.v1.IndexedValueType;
const KIND: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: V.INDEXED_VALUE_TYPE_KEYWORD,
  BOOL: V.INDEXED_VALUE_TYPE_BOOL,
  INT: V.INDEXED_VALUE_TYPE_INT,
  TEXT: V.INDEXED_VALUE_TYPE_TEXT,
  DOUBLE: V.INDEXED_VALUE_TYPE_DOUBLE,
  DATETIME: V.INDEXED_VALUE_TYPE_DATETIME,
};

/** Retries `step` until it resolves, failing with the server's own words if the server dies. */
async function until<T>(server: TemporalServer, what: string, deadline: number, step: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (;;) {
    if (server.exited()) throw serverFailed(server, `exited while waiting for ${what}`);
    try {
      return await step();
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new ClusterError('SERVER_NOT_READY', `Temporal server: timed out waiting for ${what}: ${(last as Error)?.message ?? last}`);
    await sleep(300);
  }
}

export async function prepareNamespaces(server: TemporalServer, namespaces: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const connection = await until(server, 'the frontend to accept connections', deadline, () => Connection.connect({ address: server.address, connectTimeout: 1000 }));
  try {
    await until(server, 'the health check to say SERVING', deadline, async () => {
      const { status } = await connection.healthService.check({});
      if (status !== 1) throw new Error(`health status ${status}`);
    });
    for (const namespace of namespaces) {
      await until(server, `namespace ${namespace} to be registered`, deadline, () =>
        connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') }).catch((err: Error) => {
          if (!/already exists|already registered/i.test(err.message)) throw err;
        }),
      );
      const wanted = Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, KIND[k.type]!]));
      // The frontend learns of a new namespace on its next cache refresh: retry until it does.
      await until(server, `search attributes in ${namespace}`, deadline, async () => {
        await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: wanted }).catch((err: Error) => {
          if (!/already exists/i.test(err.message)) throw err;
        });
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = Object.keys(wanted).filter((name) => customAttributes?.[name] !== wanted[name]);
        if (missing.length) throw new Error(`missing ${missing.join(', ')}`);
        await connection.workflowService.listWorkflowExecutions({ namespace, query: `AimlStatus = 'ready' AND AimlAwaitingApproval = true`, pageSize: 1 });
      });
    }
  } finally {
    await connection.close();
  }
}
