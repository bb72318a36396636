/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/package/ packs the package and installs it into a scratch project (needs the npm
  // registry, about a minute): `npm run test:package` runs it, and CI does.
  // test/device/ builds the GPU machine bundle and runs it without Node (npm registry and apt,
  // about 5 minutes): `npm run test:device`.
  testPathIgnorePatterns: [
    '/node_modules/',
    ...(process.env.TFJS_RNN_TEST_PACKAGE === '1' ? [] : ['<rootDir>/test/package/']),
    ...(process.env.TFJS_RNN_TEST_DEVICE === '1' ? [] : ['<rootDir>/test/device/']),
  ],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
  // The README example imports the package by its published name.
  moduleNameMapper: { '^tfjs-rnn$': '<rootDir>/src/index.ts', '^tfjs-rnn/testing$': '<rootDir>/src/testing.ts' },
  setupFilesAfterEnv: ['<rootDir>/test/setup_webgpu_errors.ts', '<rootDir>/test/setup_backend_log.ts'],
  // One line at the end: which backends the proofs ran on, and why WebGPU did not where it did not.
  reporters: ['default', '<rootDir>/test/reporters/backends_reporter.js'],
  testTimeout: 120000,
};
