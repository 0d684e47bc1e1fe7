import { Connection } from '@temporalio/client';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/contracts/search-attributes';
import { temporalAddress } from '../support/env';
import { TEMPORAL_SERVER_VERSION } from '../../scripts/cluster/temporal-build';

/** The suite really runs on the Go-built server with PostgreSQL, not on a dev server. */
test('the cluster is the server built from go.temporal.io/server on PostgreSQL, with aiml namespaces and search attributes', async () => {
  const connection = await Connection.connect({ address: temporalAddress() });
  try {
    const info = await connection.workflowService.getClusterInfo({});
    expect(info.serverVersion).toBe(TEMPORAL_SERVER_VERSION.slice(1));
    expect(info.persistenceStore).toBe('postgres12');
    expect(info.visibilityStore).toBe('postgres12');
    for (const namespace of ['default', 'aiml-isolated']) {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      expect(Object.keys(customAttributes ?? {}).sort()).toEqual(expect.arrayContaining(ALL_SEARCH_ATTRIBUTES.map((k) => k.name)));
    }
  } finally {
    await connection.close();
  }
});
