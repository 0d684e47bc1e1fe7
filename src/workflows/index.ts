/** Every workflow the worker registers. Orchestration only: all I/O happens in activities. */
export { design } from './design';
export { build } from './build';
export { ship } from './ship';
export { ingest } from './ingest';
export { revert } from './revert';
