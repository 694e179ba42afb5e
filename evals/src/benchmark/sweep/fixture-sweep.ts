import { summarize } from "../harness/metrics.js";
import type { BenchmarkResults, EpisodeRecord, StrategyName } from "../harness/results.js";
import { sweepJobs, type SweepJob } from "./sweep-grid.js";
import { combineSweep, type SweepResults } from "./sweep-results.js";

/**
 * Hand-made sweep data for the sweep's tests: one seed's run of one strategy,
 * with `passes[environment]` successes out of 10 episodes and `calls` model
 * calls per episode.
 */
export function fixtureRun(strategy: StrategyName, seed: number, passes: Record<string, number>, calls: number): BenchmarkResults {
  const stream = (count: number): EpisodeRecord[] =>
    Array.from({ length: 10 }, (_, index) => ({
      index,
      taskId: `t${index}`,
      kind: "refund",
      passed: index < count,
      reason: "",
      agent: { calls, promptTokens: 10, completionTokens: 0 },
      learning: { calls: 0, promptTokens: 0, completionTokens: 0 },
      contextTokens: 0,
      memorySize: 0,
      memoryVersion: 0,
    }));
  return {
    schemaVersion: 1,
    mode: "sim",
    seed,
    episodes: 10,
    parameters: { seed },
    startedAt: "2026-01-01T00:00:00.000Z",
    wallMs: 1,
    machine: { cpus: 2, node: "v20", platform: "linux-x64" },
    environments: Object.entries(passes).map(([name, count]) => {
      const episodes = stream(count);
      return { name, description: "d", drifts: [], strategies: [{ strategy, episodes, lessons: [], rollbacks: [], regressions: [], summary: summarize({ episodes, wallMs: 1 }) }] };
    }),
  };
}

export const FIXTURE_GRID = { scales: [1], misreads: [0, 0.1], seeds: [1, 2, 3], environments: ["a", "b"], episodes: 10, probes: 0 };

/**
 * lessonloop at misread 0: a 8, 9, 10 and b 6, 6, 6 of 10 (8 calls per episode); at misread 0.1:
 * a 7, 7, 7 and b 5, 5, 5 (6 calls). unvalidated: a 7, 7, 7 and b 6, 6, 6 (2 calls).
 */
export function fixtureSweepRuns(jobs: readonly SweepJob[]): BenchmarkResults[] {
  return jobs.map((job) => {
    if (job.strategies[0] === "unvalidated") return fixtureRun("unvalidated", job.seed, { a: 7, b: 6 }, 2);
    return job.validatorMisreadRate === 0 ? fixtureRun("lessonloop", job.seed, { a: 7 + job.seed, b: 6 }, 8) : fixtureRun("lessonloop", job.seed, { a: 7, b: 5 }, 6);
  });
}

/** The sweep of {@link fixtureSweepRuns} on {@link FIXTURE_GRID}. */
export function createFixtureSweep(): SweepResults {
  const jobs = sweepJobs(FIXTURE_GRID);
  return combineSweep({
    ...FIXTURE_GRID,
    jobs,
    runs: fixtureSweepRuns(jobs),
    defaultLearnerRates: { falseLessonRate: 0.08, overGeneralRate: 0.1, credulityInjection: 0.3, credulityFeedback: 0.35 },
    startedAt: "2026-01-01T00:00:00.000Z",
    wallMs: 5,
    concurrency: 2,
  });
}
