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
  /** Set for a Hugging Face dataset (hf://datasets/...): its split files and class names. */
  hub?: HubDataset;
}

/** Our split names; a Hub dataset's `validation`/`valid`/`dev` is our valid. */
export type SplitName = 'train' | 'valid' | 'test';

/** A dataset repository on the Hub, as cached: which files make each split, and the label names. */
export interface HubDataset {
  /** owner/name */
  repo: string;
  /** The revision asked for (`main`, a tag, `refs/convert/parquet`, ...). */
  revision: string;
  /** The commit it resolved to: the cache key. */
  sha: string;
  /** The dataset config (subset) read. */
  config: string;
  /** Our split -> the dataset's split name and its files (relative to `root`, in order). */
  splits: Partial<Record<SplitName, { name: string; files: string[] }>>;
  /** Class names by column, from the dataset card's ClassLabel features. */
  classLabels?: Record<string, string[]>;
  /** The files came from the Hub's Parquet conversion (refs/convert/parquet). */
  converted?: boolean;
}

export interface RefreshOutcome {
  /** The content differs from the previous copy (or there was none). */
  changed: boolean;
  downloaded: boolean;
  reason: string;
}
