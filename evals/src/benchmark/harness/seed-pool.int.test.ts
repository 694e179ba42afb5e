import { testChromaUrl } from "@lessonloop/chroma/testing";
import { LessonloopError, createLexicalEmbedder } from "@lessonloop/core";
import { describe, expect, it } from "vitest";
import { createApiDriftEnvironment } from "../environments/index.js";
import { createSimSuite } from "../sim/index.js";
import type { BenchmarkResults } from "./results.js";
import { withoutTimings } from "../tests/without-timings.js";
import { runBenchmark } from "./run-benchmark.js";
import { isSeedRunError, runSeedJobs, type PoolJob } from "./seed-pool.js";

const job = (seed: number): PoolJob => ({
  seed,
  mode: "sim",
  environments: ["api-drift"],
  strategies: ["static", "unvalidated"],
  episodes: 24,
  probes: 2,
});

describe("runSeedJobs", () => {
  it("runs seeds in child processes on one Chroma server, giving what runBenchmark gives in-process", { timeout: 120_000 }, async () => {
    const episodes: string[] = [];
    const done: number[] = [];
    const results = await runSeedJobs({
      jobs: [job(4), job(5), job(6)],
      chromaUrl: testChromaUrl(),
      concurrency: 2,
      onEpisode: (seedJob, label) => episodes.push(`${seedJob.seed} ${label}`),
      onJobDone: (seedJob) => done.push(seedJob.seed),
    });
    expect(results.map((result) => result.seed)).toEqual([4, 5, 6]);
    expect(episodes).toHaveLength(3 * 2 * 24);
    expect(episodes).toContain("5 api-drift · unvalidated");
    expect([...done].sort()).toEqual([4, 5, 6]);

    const inProcess = await runBenchmark({
      suite: createSimSuite({ seed: 5 }),
      environments: [createApiDriftEnvironment()],
      strategies: ["static", "unvalidated"],
      seed: 5,
      episodes: 24,
      probes: 2,
      chromaUrl: testChromaUrl(),
      embedder: createLexicalEmbedder(),
    });
    expect(withoutTimings(results[1] as BenchmarkResults)).toEqual(withoutTimings(inProcess));
  });

  it("hands the loop settings to the child's lessonloop loop, and records them in the parameters", { timeout: 120_000 }, async () => {
    const lessonloopJob = (loop: PoolJob["loop"]): PoolJob => ({
      seed: 4,
      mode: "sim",
      environments: ["poisoned-feedback"],
      strategies: ["lessonloop"],
      episodes: 40,
      probes: 0,
      ...(loop === undefined ? {} : { loop }),
    });
    const [byDefault, replayingAll] = await runSeedJobs({
      jobs: [lessonloopJob(undefined), lessonloopJob({ earlyStop: false })],
      chromaUrl: testChromaUrl(),
      concurrency: 2,
    });
    expect(Object.keys(byDefault?.parameters ?? {}).filter((key) => key.startsWith("lessonloop."))).toEqual([]);
    expect(replayingAll?.parameters["lessonloop.earlyStop"]).toBe(false);
    // Without early stop the validators replay every case of a lesson they reject: more calls on the same stream.
    const learningCalls = (results: BenchmarkResults | undefined) =>
      results?.environments[0]?.strategies[0]?.episodes.reduce((sum, episode) => sum + episode.learning.calls, 0) ?? 0;
    expect(learningCalls(byDefault)).toBeGreaterThan(0);
    expect(learningCalls(replayingAll)).toBeGreaterThan(learningCalls(byDefault));
  });

  it("refuses a job with a loop setting off the protocol before starting a child", async () => {
    const error = await runSeedJobs({ jobs: [{ ...job(2), loop: { repairRounds: 7 } }], chromaUrl: testChromaUrl(), concurrency: 1 }).catch(
      (caught: unknown) => caught,
    );
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toContain("loop.repairRounds");
  });

  it("fails with an error naming the seed whose child failed", { timeout: 60_000 }, async () => {
    // Nothing listens on port 9: the learning strategy cannot open its memory.
    const error = await runSeedJobs({ jobs: [job(8)], chromaUrl: "http://127.0.0.1:9", concurrency: 1 }).catch((caught: unknown) => caught);
    expect(isSeedRunError(error)).toBe(true);
    expect((error as Error).message).toMatch(/^seed 8 failed: /);
    expect((error as Error).message).toContain("127.0.0.1:9");
  });
});
