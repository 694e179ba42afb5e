import { createLexicalEmbedder } from "@lessonloop/core";
import { testChromaUrl } from "@lessonloop/chroma/testing";
import { describe, expect, it } from "vitest";
import { createApiDriftEnvironment } from "../environments/index.js";
import { createSimSuite } from "../sim/index.js";
import { BenchmarkResultsSchema } from "./results.js";
import { withoutTimings } from "../tests/without-timings.js";
import { runBenchmark } from "./run-benchmark.js";

describe("runBenchmark", () => {
  const run = () =>
    runBenchmark({
      suite: createSimSuite({ seed: 3 }),
      environments: [createApiDriftEnvironment()],
      strategies: ["static", "unvalidated", "lessonloop", "oracle"],
      seed: 3,
      episodes: 45,
      probes: 4,
      chromaUrl: testChromaUrl(),
      embedder: createLexicalEmbedder(),
    });

  it("gives the same figures for the same seed, and learning beats the frozen agent after a drift", { timeout: 120_000 }, async () => {
    const first = BenchmarkResultsSchema.parse(await run());
    const second = await run();
    expect(withoutTimings(second)).toEqual(withoutTimings(first));

    const [environment] = first.environments;
    const success = Object.fromEntries(environment?.strategies.map((strategy) => [strategy.strategy, strategy.summary.successRate]) ?? []);
    expect(success["lessonloop"]).toBeGreaterThan(success["static"] ?? 1);
    expect(success["oracle"]).toBeGreaterThanOrEqual(success["lessonloop"] ?? 1);
    const lessonloop = environment?.strategies.find((strategy) => strategy.strategy === "lessonloop");
    // Every merged lesson came through the validators' votes; memory holds no more than was merged.
    const merged = lessonloop?.lessons.filter((lesson) => lesson.outcome === "merged") ?? [];
    expect(merged.length).toBeGreaterThan(0);
    for (const lesson of merged) expect(lesson.votes).toMatch(/^\d+-\d+/);
    expect(lessonloop?.episodes.at(-1)?.memorySize).toBeGreaterThan(0);
    expect(lessonloop?.episodes.at(-1)?.memorySize).toBeLessThanOrEqual(merged.length);
  });
});
