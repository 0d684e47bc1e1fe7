import type { RetrievedSnippet } from '../design/context';
import type { LlmPurpose } from '../config';
import type { CodeModels } from '../agent/tools/types';
import type { ChatModel } from '../llm/gateway';
import type { KbRegistry } from '../rag/registry';
import type { BlobStore } from '../storage/blob-store';

/** Knowledge-base retrieval, as the design and build activities need it. */
export interface Retriever {
  search(kb: string, query: string, k: number): Promise<RetrievedSnippet[]>;
}

/** Everything activities need, built once by the worker and injected. */
export interface ActivityDeps {
  llm: ChatModel & { readonly model: string; modelFor?(purpose: LlmPurpose): string };
  blobs: BlobStore;
  stateDir: string;
  retriever?: Retriever;
  /** Knowledge bases (ingest activities); the retriever reads the same ones. */
  kbs?: KbRegistry;
  /** The local models the BUILD agent's search_code ranks by meaning with (absent: by words alone). */
  codeModels?: CodeModels;
  /** Fault injection for crash tests (AIML_FAULT_APPLY_PAUSE_MS): pause after each file a build step writes. */
  faults?: { applyPauseMs?: number; indexPauseMs?: number };
}
