// A dataset card (README.md) as the Hub and the `datasets` library read it: YAML front matter whose
// `configs` say which files make each split of each config (subset), and whose `dataset_info`
// describes the features, among them ClassLabel columns with their class names:
//
//   configs:
//   - config_name: default
//     data_files:
//     - split: train
//       path: data/train-*
//   dataset_info:
//     features:
//     - name: label
//       dtype:
//         class_label:
//           names:
//             '0': neg
//             '1': pos
import { parse } from 'yaml';

export interface CardConfig {
  name: string;
  default: boolean;
  /** Split name -> glob patterns; `undefined` split: data files without splits (all train). */
  dataFiles: { split?: string; patterns: string[] }[];
}

export interface DatasetCard {
  configs: CardConfig[];
  /** Config name -> label column -> class names (a card without config names: under 'default'). */
  classLabels: Record<string, Record<string, string[]>>;
}

export class CardError extends Error {
  override readonly name = 'CardError';
}

/** The front matter of a README.md, parsed; a card without one is empty. */
export function parseDatasetCard(readme: string): DatasetCard {
  const m = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\s*(\r?\n|$)/.exec(readme);
  if (!m) return { configs: [], classLabels: {} };
  let yaml: unknown;
  try {
    yaml = parse(m[1]!);
  } catch (e) {
    throw new CardError(`its YAML header does not parse (${(e as Error).message})`);
  }
  const doc = isObject(yaml) ? yaml : {};
  return { configs: configsOf(doc.configs), classLabels: classLabelsOf(doc.dataset_info) };
}

function configsOf(raw: unknown): CardConfig[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isObject).map((c) => ({
    name: typeof c.config_name === 'string' ? c.config_name : 'default',
    default: c.default === true,
    dataFiles: dataFilesOf(c.data_files),
  }));
}

/** `data_files` as the card may write it: a pattern, a list of patterns, or a list of {split, path}. */
function dataFilesOf(raw: unknown): CardConfig['dataFiles'] {
  const patterns = (v: unknown): string[] =>
    typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  if (typeof raw === 'string') return [{ patterns: [raw] }];
  if (isObject(raw)) return Object.entries(raw).map(([split, path]) => ({ split, patterns: patterns(path) }));
  if (!Array.isArray(raw)) return [];
  const out: CardConfig['dataFiles'] = [];
  for (const item of raw) {
    if (typeof item === 'string') out.push({ patterns: [item] });
    else if (isObject(item) && typeof item.split === 'string')
      out.push({ split: item.split, patterns: patterns(item.path) });
  }
  return out;
}

function classLabelsOf(raw: unknown): DatasetCard['classLabels'] {
  const infos = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const out: DatasetCard['classLabels'] = {};
  for (const info of infos) {
    if (!isObject(info) || !Array.isArray(info.features)) continue;
    const config = typeof info.config_name === 'string' ? info.config_name : 'default';
    for (const f of info.features) {
      if (!isObject(f) || typeof f.name !== 'string') continue;
      const names = classNames(f.dtype) ?? classNames(f);
      if (names) (out[config] ??= {})[f.name] = names;
    }
  }
  return out;
}

/** Names of a `class_label` dtype, directly or as the element type of a sequence/list (multi-label). */
function classNames(dtype: unknown): string[] | undefined {
  if (!isObject(dtype)) return undefined;
  const inner = dtype.sequence ?? dtype.list ?? dtype.feature;
  if (!isObject(dtype.class_label)) return inner !== undefined ? classNames(inner) : undefined;
  const names = dtype.class_label.names;
  if (Array.isArray(names)) return names.map(String);
  if (!isObject(names)) return undefined;
  const ids = Object.keys(names).map(Number);
  if (ids.some((i) => !Number.isInteger(i) || i < 0)) return undefined;
  const out: string[] = [];
  for (const i of ids.sort((a, b) => a - b)) {
    if (i !== out.length) return undefined; // a gap: ids must be 0..n-1
    out.push(String(names[String(i)]));
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
