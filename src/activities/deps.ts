import type { RetrievedSnippet } from '../design/context';
import type { ChatModel } from '../llm/gateway';
import type { BlobStore } from '../storage/blob-store';

/** Knowledge-base retrieval, as the design and build activities need it. */
export interface Retriever {
  search(kb: string, query: string, k: number): Promise<RetrievedSnippet[]>;
}

/** Everything activities need, built once by the worker and injected. */
export interface ActivityDeps {
  llm: ChatModel & { readonly model: string };
  blobs: BlobStore;
  stateDir: string;
  retriever?: Retriever;
}
