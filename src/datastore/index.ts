// Public API of the datastore: the trainer calls resolveDatastore, then locateFile per split.
export { resolveDatastore, RECORD_FILE, type ResolveOptions, type ResolvedDatastore } from './resolve.js';
export { locateFile, listFiles, MOUNT_POINT } from './locate.js';
export { datastoreCacheRoot, DATASTORE_ARCH, type RetryBackoff } from './cache.js';
export { DatastoreError } from './errors.js';
export type { DatastoreLogger } from './logger.js';
