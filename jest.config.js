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
  setupFiles: ['<rootDir>/test/setup/quiet-logs.js', '<rootDir>/test/setup/cdk-validation.js'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  snapshotSerializers: ['<rootDir>/test/setup/asset-hash-serializer.js'],
  // Synth leaves bundled assets (each with a package.json) in cdk.out: jest's module map would see duplicates.
  modulePathIgnorePatterns: ['<rootDir>/cdk.out/'],
};

/** @type {import('jest').Config} */
module.exports = {
  // One worker per core, not jest's cores minus one: integration files spend most of their time waiting on
  // PostgreSQL and DynamoDB Local, and each has its own database and tables, so they run safely side by side.
  // On the 2-core build machine the whole suite went from 731 s to 546 s.
  maxWorkers: '100%',
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
