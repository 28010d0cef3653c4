// The datastore module's shared shapes (what resolving returns), kept apart so that resolve,
// fetch, record and refresh can all use them without importing each other in a circle.

export interface ResolvedDatastore {
  /** Folder that train_file/valid_file/test_file resolve against. */
  root: string;
  name: string;
  /** Version as the user would write it after `@` (`local` for folders and files used in place). */
  version: string;
  fromCache: boolean;
  /** Set when the datastore is a single data file: its name inside `root`. */
  file?: string;
  /** Set when the source was checked for changes (datastore_refresh). */
  refresh?: RefreshOutcome;
}

export interface RefreshOutcome {
  /** The content differs from the previous copy (or there was none). */
  changed: boolean;
  downloaded: boolean;
  reason: string;
}
