/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/package/ packs the package and installs it into a scratch project (needs the npm
  // registry, about a minute): `npm run test:package` runs it, and CI does.
  testPathIgnorePatterns: process.env.TFJS_RNN_TEST_PACKAGE === '1' ? ['/node_modules/'] : ['/node_modules/', '<rootDir>/test/package/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
  // The README example imports the package by its published name.
  moduleNameMapper: { '^tfjs-rnn$': '<rootDir>/src/index.ts' },
  setupFilesAfterEnv: ['<rootDir>/test/setup_webgpu_errors.ts', '<rootDir>/test/setup_backend_log.ts'],
  // One line at the end: which backends the proofs ran on, and why WebGPU did not where it did not.
  reporters: ['default', '<rootDir>/test/reporters/backends_reporter.js'],
  testTimeout: 120000,
};
