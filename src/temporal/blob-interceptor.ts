import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, Next } from '@temporalio/worker';
import { toFailure } from '../activities/failures';
import { refsIn, type BlobStore } from '../storage/blob-store';

/**
 * With a shared blob store, an activity may get references another host wrote: before it runs,
 * every `sha256:` reference in its arguments (and in the blobs those refer to) is fetched to this
 * host's copy; after it succeeds, whatever it wrote is sent to the shared store before its result
 * (which refers to it) reaches history. Activities keep their synchronous reads and writes.
 */
export function sharedBlobsInterceptor(blobs: BlobStore): ActivityInterceptorsFactory {
  return () => ({ inbound: new SharedBlobsInbound(blobs) });
}

class SharedBlobsInbound implements ActivityInboundCallsInterceptor {
  constructor(private readonly blobs: BlobStore) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    await this.blobs.fetch(refsIn(JSON.stringify(input.args))).catch((err: unknown) => {
      throw toFailure(err);
    });
    const result = await next(input);
    await this.blobs.flush().catch((err: unknown) => {
      throw toFailure(err);
    });
    return result;
  }
}
