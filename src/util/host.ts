// The two hosts of the library: the `textclf` CLI and the GitHub Action.
export type Host = 'cli' | 'action';
