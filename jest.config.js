const { availableParallelism } = require('node:os');

/** Unit tests need nothing running; integration tests get one DynamoDB Local for the whole run. */
const common = {
  testEnvironment: 'node',
  // Transpile only (tsconfig's isolatedModules): `npm run typecheck` checks types once for the whole tree.
  // CommonJS output, so dynamic import() (the local runner loads handlers by path) runs inside jest.
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        diagnostics: false,
        tsconfig: {
          module: 'commonjs',
          moduleResolution: 'node10',
          isolatedModules: true,
          esModuleInterop: true,
          target: 'es2022',
          resolveJsonModule: true,
        },
      },
    ],
  },
  // cognito-local (the local Cognito) loads otplib for TOTP MFA, which the local pool does not offer; otplib
  // reaches @scure/base, which ships ES modules only, and jest runs CommonJS. `npm start` loads the real one.
  moduleNameMapper: { '^otplib$': '<rootDir>/test/setup/otplib-unavailable.js' },
  setupFiles: ['<rootDir>/test/setup/quiet-logs.js'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  snapshotSerializers: ['<rootDir>/test/setup/asset-hash-serializer.js'],
  // Synth leaves bundled assets (each with a package.json) in cdk.out: jest's module map would see duplicates.
  modulePathIgnorePatterns: ['<rootDir>/cdk.out/'],
};

/** @type {import('jest').Config} */
module.exports = {
  // More workers than cores: integration files spend most of their time waiting on PostgreSQL, DynamoDB
  // Local and, in the browser tests, on chromium and real-time playback, and each has its own database and
  // tables, so they run safely side by side. On the 2-core build machine one worker per core left a third of
  // the CPU idle (user+sys 28 min in 19.7 min of wall time, 2026-12-06); 731 s with one worker became 546 s
  // with two.
  maxWorkers: Math.ceil(1.5 * availableParallelism()),
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      // Unit tests need no server, but some make keys or synthesize stacks: on a busy two-core machine 5 s
      // (jest's default) is too tight for that, never for a hang.
      testTimeout: 30_000,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      setupFilesAfterEnv: [...common.setupFilesAfterEnv, '<rootDir>/test/setup/integration-timeout.js'],
      testMatch: ['<rootDir>/test/**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
