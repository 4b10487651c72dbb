import js from '@eslint/js';
import importPlugin from 'eslint-plugin-import';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/*
 * The floors of the house and what each may stand on (README, "Repository map"). contracts/ is the ground
 * floor: what two or more runtimes share, importing libraries only. lib/, lambda/, service/ and web/ stand
 * on contracts/ and themselves; local/ and bench/ compose everything; tools/ (repository tooling) stands on
 * itself. Another floor is imported by its alias (`#contracts/routes`, `#service/app`, package.json
 * `imports`), so every crossing is visible here.
 */
const FLOORS = ['contracts', 'lib', 'lambda', 'service', 'local', 'web', 'bench', 'bin', 'tools'];
const layers = [
  {
    files: ['contracts/**/*.ts'],
    may: [],
    why: 'contracts/ imports libraries only: it is what the runtimes share, and stands on nothing of ours.',
  },
  {
    files: ['lib/**/*.ts', 'bin/**/*.ts'],
    may: ['contracts', 'lib'],
    why: 'Infrastructure reads contracts/, never a handler, the service or the local runner.',
    cdk: true,
  },
  {
    files: ['lambda/**/*.ts'],
    may: ['contracts', 'lambda'],
    why: 'Handlers import contracts/ and lambda/ only.',
  },
  {
    files: ['service/**/*.ts'],
    may: ['contracts', 'service'],
    why: 'The core service imports contracts/ and service/ only.',
  },
  {
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    may: ['contracts', 'web'],
    why: 'The web app imports contracts/ only.',
  },
  {
    files: ['tools/**/*.ts'],
    may: ['tools'],
    why: 'Repository tools read what the app produces (synthesized templates), not its code.',
  },
  {
    // The cost estimate synthesizes the platform in its own process, as bin/ does, and prices the transcode
    // ladder the pipeline really sends rather than a copy of it.
    files: ['tools/cost/**/*.ts'],
    may: ['tools', 'lib', 'lambda', 'contracts'],
    why: 'The cost tool builds the platform (lib/) and reads the transcode settings (lambda/vod/).',
    cdk: true,
  },
  // The local runner and the benchmarks compose every floor.
  { files: ['local/**/*.ts'], may: 'any' },
  { files: ['bench/**/*.ts'], may: 'any', cdk: true },
];

const climbing = {
  regex: `^(\\./)?(\\.\\./)+(${FLOORS.join('|')})(/|$)`,
  message:
    'Import another folder of the repository by its alias (#contracts/…, #service/…), not by climbing to it.',
};
const noCdk = {
  regex: '^(aws-cdk-lib|constructs|cdk-nag)(/|$)',
  message: 'Runtime code must not import the CDK.',
};

const boundaries = layers.map(({ files, may, why, cdk }) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          climbing,
          ...(may === 'any'
            ? []
            : [{ regex: may.length ? `^#(?!(${may.join('|')})/)` : '^#', message: why }]),
          ...(cdk ? [] : [noCdk]),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      'coverage/',
      '.local/',
      'web/dist/',
      'web/src/api/schema.d.ts',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { import: importPlugin },
    rules: {
      'import/no-extraneous-dependencies': [
        'error',
        { devDependencies: ['test/**', 'bench/**', 'local/**', 'bin/**', 'lib/**', 'tools/**', 'web/**'] },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `import { z }` pulls every zod locale into each Lambda bundle (443 KB instead of 83 KB).
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
          message: "Use `import * as z from 'zod'`: the named export bundles every locale.",
        },
      ],
    },
  },
  {
    // The rules of hooks, and the effects' dependencies, in the browser app.
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  ...boundaries,
);
