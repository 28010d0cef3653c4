// Public API of the datastore: the trainer calls resolveDatastore, then locateFile per split.
export { resolveDatastore, type ResolveOptions } from './resolve.js';
export type { HubDataset, ResolvedDatastore, RefreshOutcome, SplitName } from './types.js';
export { locateFile } from './locate.js';
export { datastoreCacheRoot } from './cache.js';
export type { RetryBackoff } from '../net/download.js';
export { DatastoreError } from './errors.js';
export type { DatastoreLogger } from './logger.js';
