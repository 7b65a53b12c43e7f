// Jest runs TypeScript as native ES modules (node --experimental-vm-modules), transformed by
// swc, so the ESM-only dependencies (jose, @kubernetes/client-node) load as they do in
// production. Workspace packages resolve to their sources, so tests need no build first.

/** @type {import('jest').Config['transform']} */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2024' },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    },
  ],
};

const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@portcullis/(crds|testkit|sidecar|operator)$': '<rootDir>/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

/** @type {import('jest').Config} */
export default {
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.cjs'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{crds,testkit,sidecar,operator,bench}/src/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{sidecar,operator,bench}/test/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/tests/**/*.test.ts'],
    },
  ],
};
