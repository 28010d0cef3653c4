// ESM + TypeScript through ts-jest (type checking runs separately: `npm run typecheck`).
export default {
  testEnvironment: '<rootDir>/test/helpers/host-realm-env.cjs',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, diagnostics: false }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 120000,
  verbose: true,
};
