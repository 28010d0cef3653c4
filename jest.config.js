// ESM + TypeScript through ts-jest (type checking runs separately: `npm run typecheck`).
export default {
  testEnvironment: '<rootDir>/test/helpers/host-realm-env.cjs',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, diagnostics: false }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Probes for a WebGPU adapter once; the WebGPU suites skip (or, under CI=true, fail) without one.
  globalSetup: '<rootDir>/test/helpers/webgpu-global-setup.mjs',
  globalTeardown: '<rootDir>/test/helpers/webgpu-global-teardown.mjs',
  testTimeout: 120000,
  verbose: true,
};
