import { defineConfig } from "vitest/config";

// Vite's default server conditions, with workspace sources first.
const conditions = ["@lessonloop/source", "module", "node", "development|production"];

/**
 * One test run for the whole monorepo. Workspace packages resolve to their
 * TypeScript sources through the `@lessonloop/source` export condition, so tests
 * never need a build first.
 */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  // vitest 4 loads globalSetup files in its own environment, which needs the conditions too.
  environments: { __vitest__: { resolve: { conditions } } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "examples/*/src/**/*.test.ts", "evals/src/**/*.test.ts"],
    // One real Chroma server for every integration test; each test uses its own collections.
    globalSetup: ["./packages/chroma/src/testing/chroma-global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
