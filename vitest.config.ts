import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the "@ioc/source" export condition,
// so tests never run against a stale dist/.
export default defineConfig({
  resolve: { conditions: ['@ioc/source'] },
  ssr: { resolve: { conditions: ['@ioc/source'] } },
  test: {
    include: ['*/src/**/*.test.ts', 'test/**/*.test.ts', 'integrations/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
