// The kernel-table generator on sources laid out as ORT's are: RegisterCudaKernels with plain,
// versioned, typed and two-typed registrations; RegisterCudaContribKernels through the file's own
// `#define CUDA_MS_OP_..._CLASS_NAME` shorthands (three-typed and ai.onnx ones included); ONNX schema
// files with and without function bodies.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gen-kernels-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const K = 'kCudaExecutionProvider';
/** ORT's sanity minimums (500 core, 100 contrib registrations, 150 ONNX ops) are met with filler. */
const filler = (n: number, domain: string) =>
  Array.from(
    { length: n },
    (_, i) => `BuildKernelCreateInfo<ONNX_OPERATOR_KERNEL_CLASS_NAME(${K}, ${domain}, 1, Filler${i})>,`,
  );

function write(): { core: string; contrib: string; defs: string } {
  const core = join(dir, 'cuda_execution_provider.cc');
  writeFileSync(
    core,
    `namespace cuda {
class ONNX_OPERATOR_KERNEL_CLASS_NAME(${K}, kOnnxDomain, 1, MemcpyFromHost);
static Status RegisterCudaKernels(KernelRegistry& kernel_registry) {
  static const BuildKernelCreateInfoFn function_table[] = {
      BuildKernelCreateInfo<void>,  // default entry
      BuildKernelCreateInfo<ONNX_OPERATOR_VERSIONED_TYPED_KERNEL_CLASS_NAME(${K}, kOnnxDomain, 13, 13, float, Add)>,
      BuildKernelCreateInfo<ONNX_OPERATOR_VERSIONED_TYPED_KERNEL_CLASS_NAME(${K}, kOnnxDomain, 13, 13, MLFloat16, Add)>,
      BuildKernelCreateInfo<ONNX_OPERATOR_TYPED_KERNEL_CLASS_NAME(${K}, kOnnxDomain, 14, BFloat16, Add)>,
      BuildKernelCreateInfo<ONNX_OPERATOR_KERNEL_CLASS_NAME(${K}, kOnnxDomain, 16, Scan)>,
      BuildKernelCreateInfo<ONNX_OPERATOR_TYPED_KERNEL_CLASS_NAME(${K}, kOnnxDomain, 11, int64_t_int64_t_int64_t, OneHot)>,
      BuildKernelCreateInfo<ONNX_OPERATOR_TWO_TYPED_KERNEL_CLASS_NAME(${K}, kOnnxDomain, 19, uint8_t, MLFloat16, DequantizeLinear)>,
      ${filler(500, 'kOnnxDomain').join('\n      ')}
  };
  return Status::OK();
}
}  // namespace cuda
`,
  );
  const contrib = join(dir, 'cuda_contrib_kernels.cc');
  writeFileSync(
    contrib,
    `#define CUDA_MS_OP_TYPED_CLASS_NAME(ver, type, name) \\
  ONNX_OPERATOR_TYPED_KERNEL_CLASS_NAME(${K}, kMSDomain, ver, type, name)
#define CUDA_MS_OP_THREE_TYPED_CLASS_NAME(ver, type1, type2, type3, name) \\
  ONNX_OPERATOR_THREE_TYPED_KERNEL_CLASS_NAME(${K}, kMSDomain, ver, type1, type2, type3, name)
#define CUDA_ONNX_OP_VERSIONED_TYPED_CLASS_NAME(start_ver, end_ver, type, name) \\
  ONNX_OPERATOR_VERSIONED_TYPED_KERNEL_CLASS_NAME(${K}, kOnnxDomain, start_ver, end_ver, type, name)
Status RegisterCudaContribKernels(KernelRegistry& kernel_registry) {
  static const BuildKernelCreateInfoFn function_table[] = {
      BuildKernelCreateInfo<void>,
      BuildKernelCreateInfo<CUDA_MS_OP_TYPED_CLASS_NAME(1, float, Gelu)>,
      BuildKernelCreateInfo<CUDA_MS_OP_TYPED_CLASS_NAME(1, BFloat16, Gelu)>,
      BuildKernelCreateInfo<CUDA_MS_OP_THREE_TYPED_CLASS_NAME(1, float, float, MLFloat16, SkipLayerNormalization)>,
      BuildKernelCreateInfo<CUDA_ONNX_OP_VERSIONED_TYPED_CLASS_NAME(1, 16, double, LayerNormalization)>,
      BuildKernelCreateInfo<ONNX_OPERATOR_KERNEL_CLASS_NAME(${K}, kPytorchAtenDomain, 1, ATen)>,
      ${filler(100, 'kMSDomain').join('\n      ')}
  };
  return Status::OK();
}
`,
  );
  const defs = join(dir, 'defs');
  mkdirSync(join(defs, 'math'), { recursive: true });
  const schemas = [
    'ONNX_OPERATOR_SET_SCHEMA(Add, 13, OpSchema().SetDoc(R"DOC(a + b (sic))DOC"));',
    'ONNX_OPERATOR_SET_SCHEMA(Add, 14, OpSchema());',
    'ONNX_OPERATOR_SET_SCHEMA(Scan, 16, OpSchema());',
    'ONNX_OPERATOR_SET_SCHEMA(CastLike, 15, OpSchema().SetContextDependentFunctionBodyBuilder(build));',
    ...Array.from({ length: 150 }, (_, i) => `ONNX_OPERATOR_SET_SCHEMA(Op${i}, 1, OpSchema());`),
  ];
  writeFileSync(join(defs, 'math', 'defs.cc'), schemas.join('\n'));
  return { core, contrib, defs };
}

test('regenerates both registration tables and the schema versions from the sources, shorthand macros expanded', () => {
  const { core, contrib, defs } = write();
  const out = join(dir, 'cuda-kernels.ts');
  const log = execFileSync(
    process.execPath,
    [
      resolve('scripts/gen-cuda-kernels.mjs'),
      ...['--ort', core, '--contrib', contrib, '--onnx', defs, '--out', out],
      ...['--ort-source', 'microsoft/onnxruntime@fixture', '--onnx-source', 'onnx/onnx@fixture'],
    ],
    { encoding: 'utf8' },
  );
  expect(log).toMatch(/: 505 \+ 104 \(contrib\) kernel rows from 506 \+ 105 registrations, 153 ONNX ops$/m);
  const text = readFileSync(out, 'utf8');
  for (const row of [
    `['Add', '', 13, 13, 'float16,float32']`,
    `['Add', '', 14, null, 'bfloat16']`,
    `['Scan', '', 16, null, null]`,
    `['OneHot', '', 11, null, 'int64']`,
    `['DequantizeLinear', '', 19, null, 'uint8']`,
    `['Gelu', 'com.microsoft', 1, null, 'bfloat16,float32']`,
    `['SkipLayerNormalization', 'com.microsoft', 1, null, 'float32']`,
    `['LayerNormalization', '', 1, 16, 'float64']`,
    `['ATen', 'org.pytorch.aten', 1, null, null]`,
  ])
    expect(text).toContain(row);
  // The contrib rows are their own table, after the core one.
  expect(text.indexOf(`['Gelu', 'com.microsoft'`)).toBeGreaterThan(text.indexOf('export const CUDA_CONTRIB_KERNELS'));
  expect(text).toMatch(/Add: \[13, 14\],/);
  expect(text).toMatch(/ONNX_FUNCTIONS[^]*CastLike: \[15\],/);
  expect(text).toContain('RegisterCudaContribKernels (105 entries)');
});
