import { configDefaults, defineConfig } from "vitest/config";

// Vite's default server conditions, with workspace sources first.
const conditions = ["@lessonloop/source", "module", "node", "development|production"];
// Test files that run LangGraph's checkpointer conformance suite.
const CHECKPOINT_VALIDATION = "packages/*/src/**/*.checkpoint-validation.test.ts";

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
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two projects in one run; both inherit everything above (`extends: true`).
    projects: [
      {
        extends: true,
        test: {
          name: "lessonloop",
          include: ["packages/*/src/**/*.test.ts", "examples/*/src/**/*.test.ts", "evals/src/**/*.test.ts"],
          exclude: [...configDefaults.exclude, CHECKPOINT_VALIDATION],
          // One real Chroma server for every integration test; each test uses its own collections.
          globalSetup: ["./packages/chroma/src/testing/chroma-global-setup.ts"],
        },
      },
      {
        extends: true,
        // LangGraph's checkpointer conformance suite (@langchain/langgraph-checkpoint-validation)
        // calls describe/it/expect as globals; only its files get `globals: true`.
        test: { name: "checkpoint-validation", include: [CHECKPOINT_VALIDATION], globals: true },
      },
    ],
  },
});
