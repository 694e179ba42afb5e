import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";

// Vite's default server conditions, with workspace sources first.
const conditions = ["@lessonloop/source", "module", "node", "development|production"];
const TEST_FILES = ["packages/*/src/**/*.test.ts", "examples/*/src/**/*.test.ts", "evals/src/**/*.test.ts"];
// Tests that need a real server (Chroma, a child process, a spawned example) are `*.int.test.ts`.
const INTEGRATION = "{packages,examples,evals}/**/src/**/*.int.test.ts";
// Fleets of processes whose correctness rests on wall-clock leases and pauses (a lease that runs out
// while a starved worker is still learning is counted as one more attempt): they run after the
// others, one at a time, so that they never share the cores with another test file.
const ALONE = ["packages/lessonloop/src/fleet.int.test.ts", "examples/fleet/src/fleet.int.test.ts"];
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
    // vitest's default is one worker fewer than the cores: a single worker on 2 cores, where the
    // integration tests spend most of their time waiting on servers and child processes.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Four projects in one run; each inherits everything above (`extends: true`).
    // `pnpm test:unit` runs the first alone: no server, seconds.
    projects: [
      {
        extends: true,
        test: { name: "unit", include: TEST_FILES, exclude: [...configDefaults.exclude, INTEGRATION, CHECKPOINT_VALIDATION], pool: "threads", isolate: false },
      },
      {
        extends: true,
        test: {
          name: "int",
          include: [INTEGRATION],
          exclude: [...configDefaults.exclude, ...ALONE],
          // One real Chroma server for every integration test; each test uses its own collections.
          globalSetup: ["./packages/chroma/src/testing/chroma-global-setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "int-alone",
          include: ALONE,
          globalSetup: ["./packages/chroma/src/testing/chroma-global-setup.ts"],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
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
