/** The one place for contracts shared by workflows, activities, the CLI and tests. */
export * from './run';
export * from './run-details';
export * from './messages';
export * from './design';
export * from './build';
export * from './agent';
export * from './search-attributes';
export * from './kb';
export * from './security';
export * from './limits';
export * from './parse';
export * from './parse-inputs';
export * from './decision';
export * from './budget';
export * from './llm';

/** Workflow type names, as registered by the worker. */
export const WORKFLOW_TYPES = { design: 'design', build: 'build', ship: 'ship', ingest: 'ingest' } as const;
export * from './routing';
export * from './revert';
