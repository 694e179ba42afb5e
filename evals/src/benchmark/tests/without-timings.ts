import type { BenchmarkResults } from "../harness/results.js";

/**
 * Benchmark results without the clock's readings (start time, wall times):
 * what must be equal between two runs of one seed.
 */
export function withoutTimings(results: BenchmarkResults) {
  return {
    ...results,
    startedAt: undefined,
    wallMs: undefined,
    environments: results.environments.map((environment) => ({
      ...environment,
      strategies: environment.strategies.map((strategy) => ({ ...strategy, summary: { ...strategy.summary, wallMs: undefined } })),
    })),
  };
}
