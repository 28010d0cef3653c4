// `hf://datasets/<owner>/<name>[@<revision>]`: a dataset repository on the Hugging Face Hub (the
// same URL scheme as huggingface_hub's HfFileSystem and pandas/polars readers). The revision is a
// branch, a tag, a commit sha or a ref such as refs/convert/parquet (main by default).
import { DatastoreError } from './errors.js';

export interface HubDatasetUrl {
  /** owner/name */
  repo: string;
  revision: string;
}

const PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isHubDatasetUrl(source: string): boolean {
  return /^hf:\/\//i.test(source);
}

export function parseHubDatasetUrl(source: string): HubDatasetUrl {
  const bad = (why: string) =>
    new DatastoreError(
      source,
      `datastore '${source}' ${why}. Fix: write hf://datasets/OWNER/NAME or hf://datasets/OWNER/NAME@REVISION (e.g. hf://datasets/stanfordnlp/imdb).`,
    );
  const m = /^hf:\/\/([^/]+)\/(.*)$/i.exec(source);
  if (!m || m[1] !== 'datasets') throw bad('is not a dataset on the Hub (hf://datasets/...)');
  const at = m[2]!.indexOf('@');
  const path = at < 0 ? m[2]! : m[2]!.slice(0, at);
  let revision = at < 0 ? 'main' : m[2]!.slice(at + 1);
  try {
    revision = decodeURIComponent(revision);
  } catch {
    throw bad(`has a revision that is not valid URL text ('${revision}')`);
  }
  const parts = path.replace(/\/$/, '').split('/');
  if (parts.length !== 2 || !parts.every((p) => PART.test(p) && !p.includes('..')))
    throw bad('must name one repository as OWNER/NAME');
  if (!revision || /\s|\.\.|^\/|\/$/.test(revision)) throw bad(`has an invalid revision '${revision}'`);
  return { repo: parts.join('/'), revision };
}
