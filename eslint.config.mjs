import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Module boundaries are the architecture: apps never import apps, libs never import apps,
// and contracts depend on nothing of ours.
function boundaries(isTest) {
  const testing = isTest ? ['scope:testing'] : [];
  return {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['scope:testing', 'scope:contracts', 'scope:shared'] },
      { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
      { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [] },
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared', 'scope:contracts', ...testing] },
      { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:shared', 'scope:contracts', 'scope:testing'] },
      ...['ims', 'segment-ingestion', 'identity-reconciliation', 'audience-publication', 'cli'].map((app) => ({
        sourceTag: `scope:${app}`,
        onlyDependOnLibsWithTags: [`scope:${app}`, 'scope:shared', 'scope:contracts', ...testing],
      })),
    ],
  };
}

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.var/**', '.cache/**', '.nx/**', '**/*.mjs', '**/*.js'] },
  ...nx.configs['flat/base'],
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries(false)],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts', 'libs/testing/**/*.ts', 'tools/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      // tests (and only tests) may use the test harness
      '@nx/enforce-module-boundaries': ['error', boundaries(true)],
    },
  },
];
