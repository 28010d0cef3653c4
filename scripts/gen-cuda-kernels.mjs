#!/usr/bin/env node
// Generates src/runtime/cuda-kernels.ts: the CUDA EP's kernel registrations and the ONNX schema
// versions they are matched against, from the two projects' own sources.
//
//   node scripts/gen-cuda-kernels.mjs \
//     --ort <onnxruntime>/onnxruntime/core/providers/cuda/cuda_execution_provider.cc \
//     --contrib <onnxruntime>/onnxruntime/contrib_ops/cuda/cuda_contrib_kernels.cc \
//     --ort-source "microsoft/onnxruntime@<commit>" \
//     --onnx <onnx>/onnx/defs --onnx-source "onnx/onnx@<commit> (VERSION_NUMBER x.y.z)" [--note "..."]
//
// From cuda_execution_provider.cc (RegisterCudaKernels) and cuda_contrib_kernels.cc
// (RegisterCudaContribKernels): every `BuildKernelCreateInfo<ONNX_OPERATOR_*_KERNEL_CLASS_NAME(
// kCudaExecutionProvider, domain, since[, end][, type...], Op)>` entry, the file's own shorthand
// macros (`#define CUDA_MS_OP_TYPED_CLASS_NAME(ver, type, name) ONNX_OPERATOR_...`) expanded first
// (typed registrations name their type; untyped ones take their types from the kernel's own
// TypeConstraint, which these files do not show: they are recorded as accepting any type).
// From onnx/defs/**/*.cc: `ONNX_OPERATOR_SET_SCHEMA(Op, version, ...)` of the ai.onnx domain, and
// whether that schema has a function body (ORT expands a function op that no EP has a kernel for).
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .map((a, i, all) => (a.startsWith('--') ? [a.slice(2), all[i + 1]] : undefined))
    .filter(Boolean),
);
for (const k of ['ort', 'contrib', 'ort-source', 'onnx', 'onnx-source'])
  if (!args[k]) {
    console.error(`missing --${k}; see the comment at the top of ${process.argv[1]}`);
    process.exit(2);
  }
const out = args.out ?? new URL('../src/runtime/cuda-kernels.ts', import.meta.url).pathname;

const TYPES = {
  float: 'float32',
  double: 'float64',
  double_t: 'float64',
  float_t: 'float32',
  MLFloat16: 'float16',
  BFloat16: 'bfloat16',
  int8_t: 'int8',
  int16_t: 'int16',
  int32_t: 'int32',
  int64_t: 'int64',
  uint8_t: 'uint8',
  uint16_t: 'uint16',
  uint32_t: 'uint32',
  uint64_t: 'uint64',
  bool: 'bool',
  Float8E4M3FN: 'float8e4m3fn',
  Float8E5M2: 'float8e5m2',
  Float8E4M3FNUZ: 'float8e4m3fnuz',
  Float8E5M2FNUZ: 'float8e5m2fnuz',
  Int4x2: 'int4',
  UInt4x2: 'uint4',
  Float4E2M1x2: 'float4e2m1',
};
const DOMAINS = {
  kOnnxDomain: '',
  kMSDomain: 'com.microsoft',
  kMSInternalNHWCDomain: 'com.ms.internal.nhwc',
  kPytorchAtenDomain: 'org.pytorch.aten',
};

/** Class names for several types join them with '_' (OneHot: int64_t_int64_t_int64_t): the first one. */
function firstType(joined) {
  return Object.keys(TYPES)
    .filter((t) => joined.startsWith(`${t}_`))
    .sort((a, b) => b.length - a.length)[0];
}

// ---- CUDA registrations
/** `#define NAME(a, b) \\ BODY` shorthands of a file: name -> { params, body }. */
function macrosOf(src) {
  const out = new Map();
  for (const m of src.matchAll(/^#define\s+(\w+)\(([^)]*)\)\s*\\?\s*\n?\s*(ONNX_OPERATOR_\w+\([^)]*\))/gm))
    out.set(m[1], { params: m[2].split(',').map((p) => p.trim()), body: m[3] });
  return out;
}

/** The registrations of function `fn` in `file`: key op|domain|start|end -> Set of types, or null (untyped). */
function registrations(file, fn, min) {
  const src = readFileSync(file, 'utf8');
  const at = src.indexOf(`Status ${fn}(`);
  if (at < 0) throw new Error(`${file}: no ${fn} function`);
  let table = src.slice(at, src.indexOf('};', at));
  const macros = macrosOf(src);
  table = table.replace(/BuildKernelCreateInfo<\s*(\w+)\(([^)]*)\)\s*>/g, (whole, name, list) => {
    const m = macros.get(name);
    if (!m) return whole;
    const values = list.split(',').map((a) => a.trim());
    if (values.length !== m.params.length) throw new Error(`${file}: ${whole} does not fit #define ${name}`);
    const body = m.body.replace(/\b\w+\b/g, (w) => (m.params.includes(w) ? values[m.params.indexOf(w)] : w));
    return `BuildKernelCreateInfo<${body}>`;
  });
  const re =
    /BuildKernelCreateInfo<\s*ONNX_OPERATOR_(VERSIONED_)?(TWO_TYPED_|THREE_TYPED_|TYPED_)?KERNEL_CLASS_NAME\(\s*kCudaExecutionProvider\s*,([^)]*)\)\s*>/g;
  const kernels = new Map();
  let count = 0;
  for (const m of table.matchAll(re)) {
    const versioned = !!m[1];
    const typed = { TYPED_: 1, TWO_TYPED_: 2, THREE_TYPED_: 3 }[m[2]] ?? 0;
    const parts = m[3].split(',').map((s) => s.trim());
    const domain = DOMAINS[parts[0]];
    if (domain === undefined) throw new Error(`unknown domain ${parts[0]} in ${m[0]}`);
    const start = Number(parts[1]);
    const end = versioned ? Number(parts[2]) : null;
    const types = parts.slice(versioned ? 3 : 2, -1);
    const op = parts[parts.length - 1];
    if (types.length !== typed || !Number.isInteger(start) || (versioned && !Number.isInteger(end)))
      throw new Error(`cannot read ${m[0]}`);
    const key = [op, domain, start, end].join('|');
    if (!kernels.has(key)) kernels.set(key, typed ? new Set() : null);
    const set = kernels.get(key);
    if (typed) {
      const t = TYPES[types[0]] ?? TYPES[firstType(types[0])];
      if (!t) throw new Error(`unknown type ${types[0]} in ${m[0]}`);
      set?.add(t);
    }
    count++;
  }
  if (count < min) throw new Error(`${file}: only ${count} registrations found: has the file's layout changed?`);
  return { kernels, count };
}

const core = registrations(args.ort, 'RegisterCudaKernels', 500);
const contrib = registrations(args.contrib, 'RegisterCudaContribKernels', 100);

// ---- ONNX schemas
const schemas = new Map(); // op -> Map(version -> hasFunction)
function walk(dir) {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (f.endsWith('.cc')) readSchemas(readFileSync(p, 'utf8'));
  }
}
function readSchemas(text) {
  for (const m of text.matchAll(/\bONNX_OPERATOR_SET_SCHEMA\(\s*(\w+)\s*,\s*(\d+)\s*,/g)) {
    // The schema's text runs to the closing parenthesis of the macro (parentheses inside string
    // literals, raw strings included, do not count).
    let depth = 0,
      i = m.index + m[0].indexOf('(');
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === 'R' && text[i + 1] === '"' && !/\w/.test(text[i - 1])) {
        const open = text.indexOf('(', i + 2);
        const delim = text.slice(i + 2, open);
        i = text.indexOf(`)${delim}"`, open) + delim.length + 1; // at the closing quote
      } else if (c === '"') {
        for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      } else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) break;
    }
    const body = text.slice(m.index, i);
    const fnBody = /\.FunctionBody\(|SetContextDependentFunctionBodyBuilder\(/.test(body);
    if (!schemas.has(m[1])) schemas.set(m[1], new Map());
    schemas.get(m[1]).set(Number(m[2]), fnBody);
  }
}
walk(args.onnx);
if (schemas.size < 150) throw new Error(`only ${schemas.size} ONNX ops found under ${args.onnx}`);

// ---- output
const rowsOf = (kernels) =>
  [...kernels]
    .map(([k, types]) => {
      const [op, domain, start, end] = k.split('|');
      return { op, domain, start: Number(start), end: end === '' ? null : Number(end), types };
    })
    .sort((a, b) => a.domain.localeCompare(b.domain) || a.op.localeCompare(b.op) || a.start - b.start);
const linesOf = (rows) =>
  rows.map(
    (r) =>
      `  [${JSON.stringify(r.op)}, ${JSON.stringify(r.domain)}, ${r.start}, ${r.end ?? 'null'}, ${r.types ? JSON.stringify([...r.types].sort().join(',')) : 'null'}],`,
  );
const rows = rowsOf(core.kernels);
const contribRows = rowsOf(contrib.kernels);
const since = [...schemas].sort(([a], [b]) => a.localeCompare(b));
const sinceLines = since.map(([op, v]) => `  ${op}: [${[...v.keys()].sort((a, b) => a - b).join(', ')}],`);
const fnLines = since
  .filter(([, v]) => [...v.values()].some(Boolean))
  .map(
    ([op, v]) =>
      `  ${op}: [${[...v]
        .filter(([, f]) => f)
        .map(([ver]) => ver)
        .sort((a, b) => a - b)
        .join(', ')}],`,
  );

const text = `// GENERATED by scripts/gen-cuda-kernels.mjs: do not edit; run the script (see its header) instead.
// CUDA kernel registrations: ${args['ort-source']}
//   onnxruntime/core/providers/cuda/cuda_execution_provider.cc, RegisterCudaKernels (${core.count} entries)
//   onnxruntime/contrib_ops/cuda/cuda_contrib_kernels.cc, RegisterCudaContribKernels (${contrib.count} entries)
// ONNX schema versions: ${args['onnx-source']} onnx/defs/**/*.cc (ONNX_OPERATOR_SET_SCHEMA)
${args.note ? `// Note: ${args.note}\n` : ''}
export const CUDA_KERNEL_SOURCE = ${JSON.stringify(args['ort-source'])};
export const ONNX_SCHEMA_SOURCE = ${JSON.stringify(args['onnx-source'])};

/**
 * [op, domain, since, end (null: open-ended), types ("float32,float16,...") or null when the
 * registration is untyped (its TypeConstraint lives in the kernel's file: any type is assumed)].
 */
export type CudaKernelRow = readonly [string, string, number, number | null, string | null];

export const CUDA_KERNELS: readonly CudaKernelRow[] = [
${linesOf(rows).join('\n')}
];

/** RegisterCudaContribKernels: com.microsoft ops, and the ai.onnx versions contrib_ops registers. */
export const CUDA_CONTRIB_KERNELS: readonly CudaKernelRow[] = [
${linesOf(contribRows).join('\n')}
];

/** ai.onnx op -> the opset versions in which its schema changed (a node's schema is the latest <= the model's opset). */
export const ONNX_SINCE: Readonly<Record<string, readonly number[]>> = {
${sinceLines.join('\n')}
};

/** ai.onnx op -> schema versions that have a function body (expanded by ORT when no EP has a kernel). */
export const ONNX_FUNCTIONS: Readonly<Record<string, readonly number[]>> = {
${fnLines.join('\n')}
};
`;
// Formatted as the repository formats everything (npm run lint checks it).
// (the repository's prettier config wherever `--out` points)
const config = await prettier.resolveConfig(new URL('../src/runtime/cuda-kernels.ts', import.meta.url).pathname);
writeFileSync(out, await prettier.format(text, { ...config, filepath: out }));
console.log(
  `wrote ${out}: ${rows.length} + ${contribRows.length} (contrib) kernel rows from ${core.count} + ${contrib.count} registrations, ${schemas.size} ONNX ops`,
);
