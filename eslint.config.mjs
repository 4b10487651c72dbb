import js from '@eslint/js';
import importPlugin from 'eslint-plugin-import';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', '.local/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { import: importPlugin },
    rules: {
      'import/no-extraneous-dependencies': [
        'error',
        { devDependencies: ['test/**', 'bench/**', 'local/**', 'bin/**', 'lib/**'] },
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
    // Infrastructure reads only the contract between it and the handlers, never a handler.
    files: ['lib/**/*.ts', 'bin/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+lambda/(?!(routes|resources)$)',
              message: 'Infrastructure may import only lambda/routes and lambda/resources.',
            },
          ],
        },
      ],
    },
  },
  {
    // Runtime code never pulls in the CDK.
    files: ['lambda/**/*.ts', 'local/**/*.ts', 'service/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(aws-cdk-lib|constructs|cdk-nag)(/|$)',
              message: 'Runtime code must not import the CDK.',
            },
          ],
        },
      ],
    },
  },
);
